// safetensors reader: 8-byte little-endian header length, a JSON header
// {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}}, then
// the data buffer; offsets are relative to the start of the data buffer.
// Strict: header length bounded, offsets in bounds, byte counts equal shape x itemsize, tensors
// neither overlap nor leave gaps (as the reference implementation requires).

import Foundation

enum SafetensorsReader {
    /// Largest accepted JSON header (the reference implementation's limit, 100 MB).
    static let maxHeaderLength = 100_000_000

    static func read(_ storage: ByteStorage) throws -> (tensors: [String: RawTensor], metadata: [String: String]) {
        let buffer = storage.buffer
        guard buffer.count >= 8 else { throw CheckpointError.truncated(offset: 0, needed: 8) }
        let length = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard length <= UInt64(maxHeaderLength) else {
            throw CheckpointError.headerTooLarge(length: length, limit: maxHeaderLength)
        }
        let headerLength = Int(length)
        guard headerLength <= buffer.count - 8 else {
            throw CheckpointError.truncated(offset: 8, needed: headerLength)
        }
        let headerBytes = Data(UnsafeRawBufferPointer(rebasing: buffer[8..<(8 + headerLength)]))
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw CheckpointError.corrupt("safetensors header does not start with '{'")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerBytes, options: [])
        } catch {
            throw CheckpointError.corrupt("safetensors header is not valid JSON")
        }
        guard let header = json as? [String: Any] else {
            throw CheckpointError.corrupt("safetensors header is not a JSON object")
        }
        let dataStart = 8 + headerLength
        let dataCount = buffer.count - dataStart

        var metadata: [String: String] = [:]
        var tensors: [String: RawTensor] = [:]
        var spans: [(range: Range<Int>, name: String)] = []
        for (name, entry) in header {
            if name == "__metadata__" {
                guard let md = entry as? [String: Any] else {
                    throw CheckpointError.corrupt("__metadata__ is not an object")
                }
                for (k, v) in md {
                    guard let s = v as? String else {
                        throw CheckpointError.corrupt("__metadata__ value for \(k) is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            guard let info = entry as? [String: Any] else {
                throw CheckpointError.corrupt("tensor \(name): header entry is not an object")
            }
            guard let dtypeName = info["dtype"] as? String else {
                throw CheckpointError.corrupt("tensor \(name): missing dtype")
            }
            guard let dtype = TensorDType(safetensorsName: dtypeName) else {
                throw CheckpointError.unsupportedDType(name: name, dtype: dtypeName)
            }
            let shape = try integers(info["shape"], name: name, field: "shape")
            let offsets = try integers(info["data_offsets"], name: name, field: "data_offsets")
            guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataCount else {
                throw CheckpointError.corrupt("tensor \(name): data_offsets \(offsets) outside the \(dataCount)-byte data buffer")
            }
            try RawTensor.validate(name: name, shape: shape, dtype: dtype, byteCount: offsets[1] - offsets[0])
            let range = (dataStart + offsets[0])..<(dataStart + offsets[1])
            tensors[name] = RawTensor(shape: shape, dtype: dtype, bytes: range)
            spans.append((range, name))
        }
        // Tensors must tile the data buffer exactly: no overlap, no gap, nothing after.
        spans.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        var cursor = dataStart
        for span in spans {
            guard span.range.lowerBound == cursor else {
                throw CheckpointError.corrupt(span.range.lowerBound < cursor
                    ? "tensor \(span.name) overlaps the previous tensor"
                    : "gap of \(span.range.lowerBound - cursor) byte(s) before tensor \(span.name)")
            }
            cursor = span.range.upperBound
        }
        guard cursor == buffer.count else {
            throw CheckpointError.corrupt("\(buffer.count - cursor) byte(s) after the last tensor")
        }
        return (tensors, metadata)
    }

    private static func integers(_ value: Any?, name: String, field: String) throws -> [Int] {
        guard let list = value as? [Any] else {
            throw CheckpointError.corrupt("tensor \(name): \(field) is not an array")
        }
        return try list.map { item in
            // JSONSerialization yields Int for integer literals; 3.0 bridges exactly, 3.5 fails.
            guard let v = item as? Int, v >= 0 else {
                throw CheckpointError.corrupt("tensor \(name): \(field) holds a non-integer or negative value")
            }
            return v
        }
    }
}
