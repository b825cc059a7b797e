// Tensor: a plain value holding a shape and contiguous row-major Float storage.
//
// Layout convention for the whole project: images and feature maps are [H, W, C] (NHWC without
// the batch axis, batch 1) or [B, H, W, C]; matrices are [rows, cols]; the last axis is contiguous.

/// A dense Float32 tensor: shape plus contiguous row-major storage.
public struct Tensor: Sendable, Equatable {
    /// Extent of each axis, outermost first.
    public private(set) var shape: [Int]
    /// Row-major elements; `storage.count == shape.reduce(1, *)`.
    public var storage: [Float]

    /// Wraps `storage` with `shape`. The element count must match.
    public init(shape: [Int], storage: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(shape.reduce(1, *) == storage.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, storage: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// A tensor filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, storage: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// Number of elements.
    public var count: Int { storage.count }
    /// Number of axes.
    public var rank: Int { shape.count }

    /// The same elements under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }
}

extension Tensor {
    /// A tensor whose storage is left unset, for kernels that overwrite every element before
    /// anyone reads it (skips a zero fill of the whole output). Float is a trivial type, so the
    /// unset values are merely arbitrary bits until then.
    init(uninitialized shape: [Int]) {
        let count = shape.reduce(1, *)
        self.init(shape: shape, storage: [Float](unsafeUninitializedCapacity: count) { _, initialized in
            initialized = count
        })
    }
}
