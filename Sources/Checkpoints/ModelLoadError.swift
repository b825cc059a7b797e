// ModelLoadError: what can go wrong when a network is built from a weight store, beyond the
// store's own errors (missing tensors, shape mismatches, unused tensors: CheckpointError).

/// Errors of building a network from checkpoint tensors.
public enum ModelLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A tensor needed to infer the configuration is absent.
    case missingTensor(String)
    /// The tensors do not describe a network of the expected family.
    case inconsistent(String)
    /// The configuration in the file's metadata disagrees with the tensor shapes.
    case configMismatch(field: String, metadata: String, inferred: String)
    /// The metadata holds a value that cannot be read.
    case badMetadata(key: String, reason: String)

    public var description: String {
        switch self {
        case .missingTensor(let name): "missing tensor \(name), needed to infer the configuration"
        case .inconsistent(let reason): "checkpoint is not a MaskGIT network: \(reason)"
        case .configMismatch(let field, let metadata, let inferred):
            "config field \(field) is \(metadata) in the metadata but \(inferred) from the tensor shapes"
        case .badMetadata(let key, let reason): "metadata \(key): \(reason)"
        }
    }
}
