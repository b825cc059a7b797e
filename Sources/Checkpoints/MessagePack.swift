// A bounded MessagePack decoder for what Flax's msgpack serializer emits: maps, arrays, str,
// bin, ints, floats, nil, bool and ext (Flax uses ext 1 for ndarrays, 3 for numpy scalars).
// Every read is bounds-checked; a claimed length or element count is checked against the
// bytes that remain before anything is allocated; nesting is limited. Binary and ext payloads
// are returned as byte ranges into the buffer, never copied.

/// One decoded MessagePack value. Byte ranges are absolute offsets into the decoded buffer.
indirect enum MessagePackValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case float(Double)
    case string(String)
    case binary(Range<Int>)
    case array([MessagePackValue])
    case map([MessagePackPair])
    case ext(type: Int8, payload: Range<Int>)

    /// A short name for error messages.
    var kindName: String {
        switch self {
        case .null: return "nil"
        case .bool: return "bool"
        case .int, .uint: return "int"
        case .float: return "float"
        case .string: return "str"
        case .binary: return "bin"
        case .array: return "array"
        case .map: return "map"
        case let .ext(type, _): return "ext \(type)"
        }
    }
}

/// A key/value entry of a MessagePack map, in file order.
struct MessagePackPair: Equatable, Sendable {
    var key: MessagePackValue
    var value: MessagePackValue
}

/// Decodes MessagePack from `buffer[range]`.
struct MessagePackDecoder {
    /// Deeper nesting than this is rejected (Flax trees are ~8 deep).
    static let maxDepth = 64

    private let buffer: UnsafeRawBufferPointer
    private let end: Int
    private(set) var position: Int

    init(buffer: UnsafeRawBufferPointer, range: Range<Int>? = nil) {
        self.buffer = buffer
        let r = range ?? 0..<buffer.count
        precondition(r.lowerBound >= 0 && r.upperBound <= buffer.count)
        self.position = r.lowerBound
        self.end = r.upperBound
    }

    /// Decodes exactly one value that must span the whole range.
    static func decodeWhole(buffer: UnsafeRawBufferPointer, range: Range<Int>? = nil) throws -> MessagePackValue {
        var decoder = MessagePackDecoder(buffer: buffer, range: range)
        let value = try decoder.decode()
        guard decoder.position == decoder.end else {
            throw CheckpointError.corrupt("\(decoder.end - decoder.position) trailing byte(s) after the msgpack value at offset \(decoder.position)")
        }
        return value
    }

    var remaining: Int { end - position }

    mutating func decode() throws -> MessagePackValue {
        try decode(depth: 0)
    }

    // MARK: - primitives

    private mutating func need(_ n: Int) throws {
        guard n >= 0, n <= remaining else { throw CheckpointError.truncated(offset: position, needed: n) }
    }

    private mutating func byte() throws -> UInt8 {
        try need(1)
        defer { position += 1 }
        return buffer[position]
    }

    /// Big-endian unsigned integer of `n` bytes (1, 2, 4 or 8).
    private mutating func uint(_ n: Int) throws -> UInt64 {
        try need(n)
        var v: UInt64 = 0
        for i in 0..<n { v = (v << 8) | UInt64(buffer[position + i]) }
        position += n
        return v
    }

    /// A length prefix, checked to fit in the remaining bytes (each unit is >= `unit` bytes).
    private mutating func length(_ n: Int, unit: Int = 1) throws -> Int {
        let start = position
        let v = try uint(n)
        guard v <= UInt64(remaining / unit) else {
            throw CheckpointError.truncated(offset: start, needed: Int(clamping: v))
        }
        return Int(v)
    }

    private mutating func range(_ n: Int) throws -> Range<Int> {
        try need(n)
        defer { position += n }
        return position..<(position + n)
    }

    private mutating func string(_ n: Int) throws -> MessagePackValue {
        let start = position
        let r = try range(n)
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[r])
        // Invalid sequences decode to U+FFFD, so a lossless round trip means valid UTF-8
        // (String(validating:) would need macOS 15).
        let s = String(decoding: bytes, as: UTF8.self)
        guard s.utf8.elementsEqual(bytes) else {
            throw CheckpointError.corrupt("invalid UTF-8 in string at offset \(start)")
        }
        return .string(s)
    }

    private mutating func ext(length n: Int) throws -> MessagePackValue {
        let type = Int8(bitPattern: try byte())
        return .ext(type: type, payload: try range(n))
    }

    private mutating func array(_ count: Int, depth: Int) throws -> MessagePackValue {
        var items: [MessagePackValue] = []
        items.reserveCapacity(count)  // count <= remaining bytes, checked by length()
        for _ in 0..<count { items.append(try decode(depth: depth + 1)) }
        return .array(items)
    }

    private mutating func map(_ count: Int, depth: Int) throws -> MessagePackValue {
        var pairs: [MessagePackPair] = []
        pairs.reserveCapacity(count)  // count <= remaining / 2, checked by length()
        for _ in 0..<count {
            let k = try decode(depth: depth + 1)
            let v = try decode(depth: depth + 1)
            pairs.append(MessagePackPair(key: k, value: v))
        }
        return .map(pairs)
    }

    private mutating func decode(depth: Int) throws -> MessagePackValue {
        guard depth <= Self.maxDepth else {
            throw CheckpointError.corrupt("msgpack nesting deeper than \(Self.maxDepth) at offset \(position)")
        }
        let start = position
        let b = try byte()
        switch b {
        case 0x00...0x7F: return .int(Int64(b))
        case 0x80...0x8F: return try map(try checkedCount(Int(b & 0x0F), unit: 2, at: start), depth: depth)
        case 0x90...0x9F: return try array(try checkedCount(Int(b & 0x0F), unit: 1, at: start), depth: depth)
        case 0xA0...0xBF: return try string(Int(b & 0x1F))
        case 0xC0: return .null
        case 0xC2: return .bool(false)
        case 0xC3: return .bool(true)
        case 0xC4: return .binary(try range(try length(1)))
        case 0xC5: return .binary(try range(try length(2)))
        case 0xC6: return .binary(try range(try length(4)))
        case 0xC7: return try ext(length: try length(1))
        case 0xC8: return try ext(length: try length(2))
        case 0xC9: return try ext(length: try length(4))
        case 0xCA: return .float(Double(Float(bitPattern: UInt32(try uint(4)))))
        case 0xCB: return .float(Double(bitPattern: try uint(8)))
        case 0xCC: return .uint(try uint(1))
        case 0xCD: return .uint(try uint(2))
        case 0xCE: return .uint(try uint(4))
        case 0xCF: return .uint(try uint(8))
        case 0xD0: return .int(Int64(Int8(truncatingIfNeeded: try uint(1))))
        case 0xD1: return .int(Int64(Int16(truncatingIfNeeded: try uint(2))))
        case 0xD2: return .int(Int64(Int32(truncatingIfNeeded: try uint(4))))
        case 0xD3: return .int(Int64(bitPattern: try uint(8)))
        case 0xD4: return try ext(length: 1)
        case 0xD5: return try ext(length: 2)
        case 0xD6: return try ext(length: 4)
        case 0xD7: return try ext(length: 8)
        case 0xD8: return try ext(length: 16)
        case 0xD9: return try string(try length(1))
        case 0xDA: return try string(try length(2))
        case 0xDB: return try string(try length(4))
        case 0xDC: return try array(try length(2, unit: 1), depth: depth)
        case 0xDD: return try array(try length(4, unit: 1), depth: depth)
        case 0xDE: return try map(try length(2, unit: 2), depth: depth)
        case 0xDF: return try map(try length(4, unit: 2), depth: depth)
        case 0xE0...0xFF: return .int(Int64(Int8(bitPattern: b)))
        default:
            throw CheckpointError.corrupt("invalid msgpack marker 0x\(String(b, radix: 16)) at offset \(start)")
        }
    }

    private func checkedCount(_ count: Int, unit: Int, at offset: Int) throws -> Int {
        guard count <= remaining / unit else { throw CheckpointError.truncated(offset: offset, needed: count * unit) }
        return count
    }
}
