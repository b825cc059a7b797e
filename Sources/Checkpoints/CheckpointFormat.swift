// CheckpointFormat: tells safetensors from Flax msgpack by content, not by file name (the
// official checkpoints have no extension).

import Foundation

/// The two on-disk formats `WeightStore` reads.
public enum CheckpointFormat: String, Sendable {
    /// safetensors: u64 little-endian header length, then a JSON object.
    case safetensors
    /// Flax msgpack (`flax.serialization.to_bytes`): a msgpack map.
    case flaxMsgpack

    /// Sniffs `bytes` (the whole file or at least its first 9 bytes; `fileSize` bounds the
    /// safetensors header length when only a prefix is given). safetensors is tested first:
    /// a plausible header length (2 ... 100 MB, within the file) followed by '{'. Otherwise a
    /// msgpack map marker at byte 0 (0x80-0x8f fixmap, 0xde map16, 0xdf map32) means msgpack.
    public static func sniff(_ bytes: UnsafeRawBufferPointer, fileSize: Int? = nil) -> CheckpointFormat? {
        let size = fileSize ?? bytes.count
        if bytes.count >= 9 {
            let length = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            if bytes[8] == UInt8(ascii: "{"), length >= 2, length <= UInt64(SafetensorsReader.maxHeaderLength),
               Int(length) <= size - 8 {
                return .safetensors
            }
        }
        guard let first = bytes.first else { return nil }
        switch first {
        case 0x80...0x8F, 0xDE, 0xDF: return .flaxMsgpack
        default: return nil
        }
    }

    /// Sniffs an in-memory file.
    public static func sniff(_ bytes: [UInt8]) -> CheckpointFormat? {
        bytes.withUnsafeBytes { sniff($0) }
    }

    /// Sniffs the file at `url` from its first bytes.
    public static func sniff(url: URL) throws -> CheckpointFormat {
        let storage = try ByteStorage(mapping: url)
        guard let format = sniff(storage.buffer) else {
            throw CheckpointError.unknownFormat(url.path)
        }
        return format
    }
}
