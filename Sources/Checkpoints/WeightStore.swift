// WeightStore: a strict, by-path view of one checkpoint (strict loading: every tensor taken once, by path and shape). Networks take
// each tensor by its Flax path and the shape they expect; `finish()` then fails if anything
// in the file was never taken. The file stays memory-mapped; a tensor is widened to [Float]
// only when taken and its file pages are released right after, so loading needs about the
// Float32 weight bytes, not twice that.

import Foundation
import Tensors

/// Tensors of one checkpoint file (safetensors or Flax msgpack), handed out by path.
///
/// Paths are the Flax parameter path below `params`, joined with `/`
/// (`encoder/ResBlock_4/Conv_2/kernel`). Layouts are the file's, unchanged (conv HWIO,
/// Dense (in, out), DenseGeneral q/k/v (in, heads, head_dim), out (heads, head_dim, out)).
/// Flax msgpack files may have the official top-level `params` key or be the bare parameter
/// tree; both give the same paths (any other top-level key beside `params` is an error).
/// Thread-safe: the set of taken paths is guarded by a lock. The file is mapped for the
/// store's lifetime; do not rewrite or truncate it while a store is open (SIGBUS).
public final class WeightStore: @unchecked Sendable {
    /// The format the tensors were read from.
    public let format: CheckpointFormat
    /// safetensors `__metadata__`; empty for Flax msgpack.
    public let metadata: [String: String]

    private let storage: ByteStorage
    private let tensors: [String: RawTensor]
    private let lock = NSLock()
    /// Paths taken so far (guarded by `lock`).
    private var taken: Set<String> = []

    // MARK: - opening

    /// Opens a checkpoint file, sniffing its format by content.
    public static func open(_ url: URL) throws -> WeightStore {
        let storage = try ByteStorage(mapping: url)
        guard let format = CheckpointFormat.sniff(storage.buffer) else {
            throw CheckpointError.unknownFormat(url.path)
        }
        return try WeightStore(storage: storage, format: format)
    }

    /// Reads an in-memory file, sniffing its format (nil: sniff).
    public convenience init(bytes: [UInt8], format: CheckpointFormat? = nil) throws {
        let storage = ByteStorage(copying: bytes)
        guard let resolved = format ?? CheckpointFormat.sniff(storage.buffer) else {
            throw CheckpointError.unknownFormat("\(bytes.count) in-memory bytes")
        }
        try self.init(storage: storage, format: resolved)
    }

    private init(storage: ByteStorage, format: CheckpointFormat) throws {
        self.storage = storage
        self.format = format
        switch format {
        case .safetensors:
            (tensors, metadata) = try SafetensorsReader.read(storage)
        case .flaxMsgpack:
            tensors = try FlaxMsgpackReader.read(storage)
            metadata = [:]
        }
    }

    // MARK: - queries

    /// Every tensor path, sorted.
    public var keys: [String] { tensors.keys.sorted() }

    /// Whether the file holds `path`.
    public func has(_ path: String) -> Bool { tensors[path] != nil }

    /// The stored shape of `path`, or nil if absent.
    public func shape(of path: String) -> [Int]? { tensors[path]?.shape }

    /// The stored element type of `path`, or nil if absent.
    public func dtype(of path: String) -> TensorDType? { tensors[path]?.dtype }

    /// Sorted paths that start with `prefix` (e.g. `"encoder/ResBlock_"` to count blocks).
    public func keys(withPrefix prefix: String) -> [String] {
        tensors.keys.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// Paths not taken yet, sorted.
    public var untakenKeys: [String] {
        lock.lock()
        defer { lock.unlock() }
        return tensors.keys.filter { !taken.contains($0) }.sorted()
    }

    // MARK: - taking

    /// The tensor at `path` widened to Float, which must have exactly `shape`.
    /// Throws `missingTensor`, `shapeMismatch` (naming both shapes) or `unsupportedDType`
    /// (integer tensors). Taking a path twice is allowed (e.g. a tied embedding).
    public func take(_ path: String, shape: [Int]) throws -> Tensor {
        let raw = try lookup(path)
        guard raw.shape == shape else {
            throw CheckpointError.shapeMismatch(name: path, expected: shape, actual: raw.shape)
        }
        return try floats(path, raw)
    }

    /// The tensor at `path` widened to Float, whatever its shape (for fixtures and tools;
    /// networks should state the shape they expect with `take(_:shape:)`).
    public func take(_ path: String) throws -> Tensor {
        try floats(path, try lookup(path))
    }

    /// An integer tensor (I32/I64/U8, e.g. token ids or 8-bit pixels in a fixture) as its shape and values.
    public func takeIntegers(_ path: String) throws -> (shape: [Int], values: [Int]) {
        let raw = try lookup(path)
        guard !raw.dtype.isFloatingPoint else {
            throw CheckpointError.unsupportedDType(name: path, dtype: "\(raw.dtype.rawValue) (takeIntegers needs int32, int64 or uint8)")
        }
        markTaken(path)
        return (raw.shape, raw.integers(in: storage))
    }

    /// Fails with `unusedTensors` listing every path never taken.
    public func finish() throws {
        let unused = untakenKeys
        guard unused.isEmpty else { throw CheckpointError.unusedTensors(unused) }
    }

    // MARK: - helpers

    private func lookup(_ path: String) throws -> RawTensor {
        guard let raw = tensors[path] else { throw CheckpointError.missingTensor(path) }
        return raw
    }

    private func floats(_ path: String, _ raw: RawTensor) throws -> Tensor {
        guard raw.dtype.isFloatingPoint else {
            throw CheckpointError.unsupportedDType(name: path, dtype: "\(raw.dtype.rawValue) (take needs float32, float16 or bfloat16)")
        }
        let values = raw.floats(in: storage)
        storage.releasePages(raw.bytes)
        markTaken(path)
        return Tensor(shape: raw.shape, storage: values)
    }

    private func markTaken(_ path: String) {
        lock.lock()
        taken.insert(path)
        lock.unlock()
    }
}
