// WeightScope: a view of a WeightStore below a path prefix, so each layer names its own
// parameters exactly once, as the checkpoint does ("Conv_0/kernel"), beside its Swift property.

import Tensors

/// The part of a weight store under `prefix` (joined with "/").
public struct WeightScope {
    public let store: WeightStore
    public let prefix: String

    public init(_ store: WeightStore, prefix: String = "") {
        self.store = store
        self.prefix = prefix
    }

    /// The full path of `name` in this scope.
    public func path(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix)/\(name)" }

    /// The scope one level down.
    public func callAsFunction(_ child: String) -> WeightScope { WeightScope(store, prefix: path(child)) }

    /// Takes the tensor `name` in this scope, checking its shape.
    public func take(_ name: String, _ shape: [Int]) throws -> Tensor {
        try store.take(path(name), shape: shape)
    }

    /// Whether a tensor `name` exists in this scope.
    public func has(_ name: String) -> Bool { store.has(path(name)) }
}

extension WeightStore {
    /// The distinct integer suffixes N of keys `prefix<N>/...` (e.g. the layer indices of
    /// `TransformerLayer_`), used to infer depths from a parameter tree.
    public func childIndices(prefix: String) -> Set<Int> {
        var found = Set<Int>()
        for key in keys(withPrefix: prefix) {
            let rest = key.dropFirst(prefix.count)
            if let slash = rest.firstIndex(of: "/"), let n = Int(rest[..<slash]) { found.insert(n) }
        }
        return found
    }
}
