// safetensors writer for the conversion command (Flax msgpack -> safetensors, optionally F16
// storage) and for tests. Byte-deterministic: metadata keys sorted, tensors ordered by item
// size (largest first) then name, header padded with spaces to a multiple of 8.

import Foundation
import Tensors

/// Builds a safetensors file from Float tensors (stored F32 or F16) and optional I32 arrays.
public struct SafetensorsWriter: Sendable {
    /// How Float tensors are stored.
    public enum Storage: String, Sendable {
        case float32, float16
    }

    /// `__metadata__` (all values are strings, as the format requires).
    public var metadata: [String: String]
    /// Storage dtype for Float tensors.
    public var storage: Storage

    private enum Payload: Sendable {
        case floats([Float])
        case int32([Int32])
    }

    private struct Entry: Sendable {
        var name: String
        var shape: [Int]
        var dtype: TensorDType
        var payload: Payload
    }

    private var entries: [String: Entry] = [:]

    public init(metadata: [String: String] = [:], storage: Storage = .float32) {
        self.metadata = metadata
        self.storage = storage
    }

    /// Adds a Float tensor under `name` (stored with `storage`).
    public mutating func add(_ name: String, _ tensor: Tensor) throws {
        try Self.checkName(name, existing: entries)
        entries[name] = Entry(name: name, shape: tensor.shape, dtype: storage == .float16 ? .float16 : .float32,
                              payload: .floats(tensor.storage))
    }

    /// Adds an I32 array under `name`.
    public mutating func add(_ name: String, shape: [Int], int32 values: [Int32]) throws {
        try Self.checkName(name, existing: entries)
        guard RawTensor.elementCount(shape) == values.count else {
            throw CheckpointError.shapeMismatch(name: name, expected: shape, actual: [values.count])
        }
        entries[name] = Entry(name: name, shape: shape, dtype: .int32, payload: .int32(values))
    }

    /// The complete file.
    public func serialized() throws -> [UInt8] {
        let ordered = Self.order(entries.values.map { ($0.name, $0.shape, $0.dtype) })
        var out = try Self.header(ordered, metadata: metadata)
        for (name, _, _) in ordered {
            guard let entry = entries[name] else { continue }
            switch entry.payload {
            case let .floats(values): Self.append(values, as: entry.dtype, to: &out)
            case let .int32(values):
                for v in values { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
            }
        }
        return out
    }

    /// Writes the file to `url` (replacing it).
    public func write(to url: URL) throws {
        let bytes = try serialized()
        do {
            try Data(bytes).write(to: url)
        } catch {
            throw CheckpointError.io(path: url.path, reason: "\(error)")
        }
    }

    /// Streams every tensor of `store` into a safetensors file at `url`, one tensor in memory at
    /// a time (takes every tensor, so a later `store.finish()` passes). Float tensors only.
    public static func convert(_ store: WeightStore, to url: URL, metadata: [String: String],
                               storage: Storage = .float32) throws {
        let dtype: TensorDType = storage == .float16 ? .float16 : .float32
        var specs: [(String, [Int], TensorDType)] = []
        for key in store.keys {
            guard let d = store.dtype(of: key), d.isFloatingPoint, let shape = store.shape(of: key) else {
                throw CheckpointError.unsupportedDType(name: key, dtype: store.dtype(of: key)?.rawValue ?? "?")
            }
            specs.append((key, shape, dtype))
        }
        let ordered = order(specs)
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CheckpointError.io(path: url.path, reason: "cannot create file")
        }
        do {
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.write(contentsOf: header(ordered, metadata: metadata))
            for (name, shape, d) in ordered {
                let tensor = try store.take(name, shape: shape)
                var chunk: [UInt8] = []
                append(tensor.storage, as: d, to: &chunk)
                try handle.write(contentsOf: chunk)
            }
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError.io(path: url.path, reason: "\(error)")
        }
    }

    // MARK: - helpers

    private static func checkName(_ name: String, existing: [String: Entry]) throws {
        guard !name.isEmpty, name != "__metadata__" else {
            throw CheckpointError.corrupt("invalid tensor name '\(name)'")
        }
        guard existing[name] == nil else { throw CheckpointError.duplicateTensor(name) }
    }

    private static func order(_ specs: [(String, [Int], TensorDType)]) -> [(String, [Int], TensorDType)] {
        specs.sorted { a, b in
            a.2.itemSize != b.2.itemSize ? a.2.itemSize > b.2.itemSize : a.0 < b.0
        }
    }

    /// The length prefix and JSON header, written by hand so the bytes are the same on every
    /// platform and equal to `Training/maskgit_reference/checkpoint_io.py`'s output
    /// (`json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`).
    private static func header(_ ordered: [(String, [Int], TensorDType)], metadata: [String: String]) throws -> [UInt8] {
        var fields: [(key: String, json: String)] = []
        if !metadata.isEmpty {
            let entries = sortedByCodePoint(Array(metadata.keys)).map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            fields.append(("__metadata__", "{" + entries.joined(separator: ",") + "}"))
        }
        var offset = 0
        for (name, shape, dtype) in ordered {
            guard let n = RawTensor.elementCount(shape) else {
                throw CheckpointError.corrupt("tensor \(name): invalid shape \(shape)")
            }
            let size = n * dtype.itemSize
            let dims = shape.map(String.init).joined(separator: ",")
            fields.append((name, "{\"data_offsets\":[\(offset),\(offset + size)],\"dtype\":\"\(dtype.safetensorsName)\",\"shape\":[\(dims)]}"))
            offset += size
        }
        let byKey = Dictionary(fields.map { ($0.key, $0.json) }, uniquingKeysWith: { a, _ in a })
        let body = sortedByCodePoint(fields.map(\.key)).map { "\(jsonString($0)):\(byKey[$0] ?? "")" }
        var json = Array(("{" + body.joined(separator: ",") + "}").utf8)
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        return out
    }

    private static func sortedByCodePoint(_ keys: [String]) -> [String] {
        keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
    }

    /// A JSON string literal escaped as Python's `json.dumps` does it: with `asciiOnly` (its
    /// default `ensure_ascii=True`) every non-ASCII scalar becomes `\uXXXX` (surrogate pairs above
    /// the BMP); without, only quotes, backslashes and control characters are escaped.
    public static func jsonString(_ s: String, asciiOnly: Bool = false) -> String {
        var out = "\""
        func hex(_ v: UInt32) -> String {
            let digits = String(v, radix: 16)
            return "\\u" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20 || (asciiOnly && scalar.value >= 0x7F && scalar.value <= 0xFFFF):
                out += hex(scalar.value)
            case _ where asciiOnly && scalar.value > 0xFFFF:
                let v = scalar.value - 0x10000
                out += hex(0xD800 + (v >> 10)) + hex(0xDC00 + (v & 0x3FF))
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func append(_ values: [Float], as dtype: TensorDType, to out: inout [UInt8]) {
        switch dtype {
        case .float16:
            out.reserveCapacity(out.count + 2 * values.count)
            for v in values { withUnsafeBytes(of: HalfFloat.float16Bits(from: v).littleEndian) { out.append(contentsOf: $0) } }
        default:
            values.withUnsafeBytes { out.append(contentsOf: $0) }
        }
    }
}
