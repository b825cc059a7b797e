// Elementwise: sums, bias rows and scaling (residual adds, Dense/conv biases, attention scale).
//
// Legend: C the last (contiguous) axis; "..." any leading axes.

extension Ops {
    /// Elements per worker below which the element-wise kernels stay on one thread.
    static let elementwiseChunk = 1 << 16

    /// a + b for tensors of the same shape.
    public static func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        var out = a
        addInPlace(&out, b)
        return out
    }

    /// a += b for tensors of the same shape.
    public static func addInPlace(_ a: inout Tensor, _ b: Tensor) {
        precondition(a.shape == b.shape, "add: shapes differ, \(a.shape) and \(b.shape)")
        b.storage.withUnsafeBufferPointer { src in
            a.storage.withUnsafeMutableBufferPointer { dst in
                Parallel.forEachRange(dst.count, minimumChunk: elementwiseChunk) { range in
                    for i in range { dst[i] += src[i] }
                }
            }
        }
    }

    /// x [..., C] + bias [C] broadcast over the leading axes.
    public static func addBias(_ x: Tensor, _ bias: Tensor) -> Tensor {
        var out = x
        addBiasInPlace(&out, bias)
        return out
    }

    /// x [..., C] += bias [C] broadcast over the leading axes.
    public static func addBiasInPlace(_ x: inout Tensor, _ bias: Tensor) {
        let c = x.shape.last ?? 1
        precondition(x.rank >= 1 && bias.shape == [c], "addBias: bias \(bias.shape) must be [\(c)] for \(x.shape)")
        guard c > 0 else { return }
        bias.storage.withUnsafeBufferPointer { b in
            x.storage.withUnsafeMutableBufferPointer { dst in
                Parallel.forEachRange(dst.count / c, minimumChunk: max(1, elementwiseChunk / c)) { rows in
                    for row in rows {
                        let base = row * c
                        for j in 0..<c { dst[base + j] += b[j] }
                    }
                }
            }
        }
    }

    /// Sets every row of x [..., C] to `row` [C] (the bias start of a GEMM with beta = 1).
    static func fillRows(_ x: inout Tensor, with row: Tensor) {
        let c = row.count
        precondition(x.shape.last == c, "fillRows: row \(row.shape) for \(x.shape)")
        guard c > 0 else { return }
        row.storage.withUnsafeBufferPointer { r in
            x.storage.withUnsafeMutableBufferPointer { dst in
                Parallel.forEachRange(dst.count / c, minimumChunk: max(1, elementwiseChunk / c)) { rows in
                    for i in rows { (dst.baseAddress! + i * c).update(from: r.baseAddress!, count: c) }
                }
            }
        }
    }

    /// x · factor.
    public static func scale(_ x: Tensor, by factor: Float) -> Tensor {
        var out = x
        scaleInPlace(&out, by: factor)
        return out
    }

    /// x *= factor.
    public static func scaleInPlace(_ x: inout Tensor, by factor: Float) {
        map(&x) { $0 * factor }
    }

    /// Applies `transform` to every element, on `Parallel` workers for large tensors.
    static func map(_ x: inout Tensor, _ transform: (Float) -> Float) {
        x.storage.withUnsafeMutableBufferPointer { dst in
            Parallel.forEachRange(dst.count, minimumChunk: elementwiseChunk) { range in
                for i in range { dst[i] = transform(dst[i]) }
            }
        }
    }
}
