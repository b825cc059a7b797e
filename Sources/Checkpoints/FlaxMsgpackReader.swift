// Flax msgpack reader: the official MaskGIT checkpoint format (`flax.serialization.to_bytes`,
// `msgpack_serialize`). Nested msgpack maps with string keys; each array is ext type 1 whose
// payload is a msgpack array (shape, dtype name, raw C-order little-endian bytes); numpy
// scalars use ext type 3 with the same payload. See Docs/Checkpoints.md section 1.

/// Parses a Flax msgpack state dict into `path -> RawTensor`, paths joined with `/` below the
/// top-level `params` key.
///
/// Accepted roots: a map whose keys include `params` (its value is the tree; any other
/// top-level key is rejected, so optimizer state never passes for weights), or a map without
/// `params`, taken as the parameter tree itself. Empty sub-maps are allowed (no tensors).
/// Rejected: non-string keys, keys containing `/`, duplicate paths, leaves that are not
/// ext 1/3 arrays (plain ints, strings, lists, Flax's chunked >1 GiB arrays), unknown dtypes
/// and byte counts that differ from product(shape) x itemsize.
enum FlaxMsgpackReader {
    static func read(_ storage: ByteStorage) throws -> [String: RawTensor] {
        let buffer = storage.buffer
        guard buffer.count > 0 else { throw CheckpointError.truncated(offset: 0, needed: 1) }
        let root = try MessagePackDecoder.decodeWhole(buffer: buffer)
        guard case let .map(top) = root else {
            throw CheckpointError.corrupt("Flax msgpack root is \(root.kindName), expected a map")
        }
        var tree = root
        if let params = top.first(where: { $0.key == .string("params") }) {
            let others = top.compactMap { pair -> String? in
                if case let .string(k) = pair.key, k == "params" { return nil }
                if case let .string(k) = pair.key { return k }
                return pair.key.kindName
            }
            guard others.isEmpty else {
                throw CheckpointError.corrupt("unexpected top-level key(s) beside params: \(others.joined(separator: ", "))")
            }
            guard case .map = params.value else {
                throw CheckpointError.corrupt("params is \(params.value.kindName), expected a map")
            }
            tree = params.value
        }
        var out: [String: RawTensor] = [:]
        try collect(tree, path: "", buffer: buffer, into: &out)
        return out
    }

    private static func collect(_ value: MessagePackValue, path: String, buffer: UnsafeRawBufferPointer,
                                into out: inout [String: RawTensor]) throws {
        switch value {
        case let .map(pairs):
            for pair in pairs {
                guard case let .string(key) = pair.key else {
                    throw CheckpointError.corrupt("non-string key (\(pair.key.kindName)) under '\(path)'")
                }
                guard !key.isEmpty, !key.contains("/") else {
                    throw CheckpointError.corrupt("invalid key '\(key)' under '\(path)'")
                }
                if key == "__msgpack_chunked_array__" {
                    throw CheckpointError.unsupportedDType(name: path, dtype: "chunked array (> 1 GiB)")
                }
                try collect(pair.value, path: path.isEmpty ? key : path + "/" + key, buffer: buffer, into: &out)
            }
        case let .ext(type, payload) where type == 1 || type == 3:
            let tensor = try ndarray(payload, name: path, buffer: buffer)
            guard out[path] == nil else { throw CheckpointError.duplicateTensor(path) }
            out[path] = tensor
        default:
            throw CheckpointError.corrupt("value at '\(path)' is \(value.kindName), expected a map or an ndarray (ext 1)")
        }
    }

    /// Decodes an ext 1/3 payload: msgpack array (shape, dtype name, bytes).
    private static func ndarray(_ payload: Range<Int>, name: String, buffer: UnsafeRawBufferPointer) throws -> RawTensor {
        let value = try MessagePackDecoder.decodeWhole(buffer: buffer, range: payload)
        guard case let .array(items) = value, items.count == 3 else {
            throw CheckpointError.corrupt("tensor \(name): ndarray payload is not (shape, dtype, bytes)")
        }
        guard case let .array(dims) = items[0] else {
            throw CheckpointError.corrupt("tensor \(name): shape is \(items[0].kindName)")
        }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for d in dims {
            switch d {
            case let .int(v) where v >= 0: shape.append(Int(v))
            case let .uint(v) where v <= UInt64(Int.max): shape.append(Int(v))
            default: throw CheckpointError.corrupt("tensor \(name): invalid extent \(d) in shape")
            }
        }
        guard case let .string(dtypeName) = items[1] else {
            throw CheckpointError.corrupt("tensor \(name): dtype is \(items[1].kindName)")
        }
        guard let dtype = TensorDType(numpyName: dtypeName) else {
            throw CheckpointError.unsupportedDType(name: name, dtype: dtypeName)
        }
        guard case let .binary(bytes) = items[2] else {
            throw CheckpointError.corrupt("tensor \(name): data is \(items[2].kindName)")
        }
        try RawTensor.validate(name: name, shape: shape, dtype: dtype, byteCount: bytes.count)
        return RawTensor(shape: shape, dtype: dtype, bytes: bytes)
    }
}
