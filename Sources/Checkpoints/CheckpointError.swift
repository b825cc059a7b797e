// CheckpointError: every way loading a checkpoint can fail, each naming the offending tensor,
// offset or value (strict loading: a wrong file fails loudly, naming what is wrong).

/// A typed failure from the checkpoint readers, writer or `WeightStore`.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened, mapped or written.
    case io(path: String, reason: String)
    /// Neither a safetensors nor a Flax msgpack file (by content).
    case unknownFormat(String)
    /// A read needed `needed` bytes at byte `offset` but the data ended first.
    case truncated(offset: Int, needed: Int)
    /// Structurally invalid content.
    case corrupt(String)
    /// The safetensors JSON header claims more bytes than allowed or than the file has.
    case headerTooLarge(length: UInt64, limit: Int)
    /// A tensor whose dtype this reader does not handle (or not through this accessor).
    case unsupportedDType(name: String, dtype: String)
    /// Two tensors with the same path.
    case duplicateTensor(String)
    /// A tensor the network expects is absent.
    case missingTensor(String)
    /// A tensor exists but its shape differs from the one the network expects.
    case shapeMismatch(name: String, expected: [Int], actual: [Int])
    /// Tensors present in the file that the network never took.
    case unusedTensors([String])

    public var description: String {
        switch self {
        case let .io(path, reason):
            return "cannot read \(path): \(reason)"
        case let .unknownFormat(what):
            return "not a safetensors or Flax msgpack checkpoint: \(what)"
        case let .truncated(offset, needed):
            return "checkpoint truncated: needed \(needed) byte(s) at offset \(offset)"
        case let .corrupt(reason):
            return "corrupt checkpoint: \(reason)"
        case let .headerTooLarge(length, limit):
            return "safetensors header length \(length) exceeds the limit of \(limit) bytes"
        case let .unsupportedDType(name, dtype):
            return "tensor \(name): unsupported dtype \(dtype)"
        case let .duplicateTensor(name):
            return "tensor \(name) appears twice"
        case let .missingTensor(name):
            return "missing tensor \(name)"
        case let .shapeMismatch(name, expected, actual):
            return "tensor \(name): expected shape \(expected), file has \(actual)"
        case let .unusedTensors(names):
            let shown = names.prefix(20).joined(separator: ", ")
            let more = names.count > 20 ? " and \(names.count - 20) more" : ""
            return "\(names.count) unused tensor(s): \(shown)\(more)"
        }
    }
}
