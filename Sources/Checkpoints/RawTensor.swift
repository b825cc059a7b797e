// RawTensor: where a tensor's bytes are in the checkpoint (shape, dtype, byte range), and the
// widening of those bytes to Float or Int, done only when the tensor is taken.

/// Element types the readers accept. Floats widen to Float; integers are read separately.
public enum TensorDType: String, Sendable, CaseIterable {
    case float32, float16, bfloat16, int32, int64, uint8

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float32, .int32: return 4
        case .float16, .bfloat16: return 2
        case .int64: return 8
        case .uint8: return 1
        }
    }

    /// Whether `WeightStore.take` (Float) accepts it.
    public var isFloatingPoint: Bool { self == .float32 || self == .float16 || self == .bfloat16 }

    /// numpy / Flax msgpack dtype name.
    init?(numpyName: String) {
        self.init(rawValue: numpyName)
    }

    /// safetensors dtype tag.
    init?(safetensorsName: String) {
        switch safetensorsName {
        case "F32": self = .float32
        case "F16": self = .float16
        case "BF16": self = .bfloat16
        case "I32": self = .int32
        case "I64": self = .int64
        case "U8": self = .uint8
        default: return nil
        }
    }

    var safetensorsName: String {
        switch self {
        case .float32: return "F32"
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .int32: return "I32"
        case .int64: return "I64"
        case .uint8: return "U8"
        }
    }
}

/// A tensor not yet converted: its shape, dtype and little-endian bytes in the storage.
struct RawTensor: Sendable {
    let shape: [Int]
    let dtype: TensorDType
    let bytes: Range<Int>

    /// Element count, or nil on overflow or a negative extent.
    static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = p
        }
        return n
    }

    /// Checks the byte count equals product(shape) x itemsize.
    static func validate(name: String, shape: [Int], dtype: TensorDType, byteCount: Int) throws {
        guard let n = elementCount(shape) else {
            throw CheckpointError.corrupt("tensor \(name): invalid shape \(shape)")
        }
        let (bytes, overflow) = n.multipliedReportingOverflow(by: dtype.itemSize)
        guard !overflow, bytes == byteCount else {
            throw CheckpointError.corrupt("tensor \(name): shape \(shape) of \(dtype.rawValue) needs \(overflow ? "too many" : String(bytes)) bytes, file has \(byteCount)")
        }
    }

    /// The elements widened to Float (float dtypes only; checked by the caller).
    func floats(in storage: ByteStorage) -> [Float] {
        let n = bytes.count / dtype.itemSize
        let src = UnsafeRawBufferPointer(rebasing: storage.buffer[bytes])
        return [Float](unsafeUninitializedCapacity: n) { out, initialized in
            switch dtype {
            case .float32:
                // Unaligned-safe byte copy; the file is little-endian like every supported host.
                UnsafeMutableRawBufferPointer(out).copyMemory(from: src)
            case .float16:
                for i in 0..<n {
                    out[i] = HalfFloat.float(fromFloat16Bits: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            case .bfloat16:
                for i in 0..<n {
                    out[i] = HalfFloat.float(fromBFloat16Bits: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            case .int32, .int64, .uint8:
                preconditionFailure("floats(in:) on an integer tensor")
            }
            initialized = n
        }
    }

    /// The elements as Int (integer dtypes only; checked by the caller).
    func integers(in storage: ByteStorage) -> [Int] {
        let n = bytes.count / dtype.itemSize
        let src = UnsafeRawBufferPointer(rebasing: storage.buffer[bytes])
        switch dtype {
        case .int32:
            return (0..<n).map { Int(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
        case .int64:
            return (0..<n).map { Int(Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) }
        case .uint8:
            return (0..<n).map { Int(src[$0]) }
        default:
            preconditionFailure("integers(in:) on a float tensor")
        }
    }
}

#if _endian(big)
#error("Checkpoints assumes a little-endian host (Flax and safetensors store little-endian bytes)")
#endif
