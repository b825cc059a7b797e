// ImageFormat: which codec a byte string belongs to, decided from its first bytes only.

/// The encoded image formats this module reads and writes.
public enum ImageFormat: String, Sendable, Equatable, Hashable, CaseIterable, Codable,
    CustomStringConvertible
{
    case png
    case webp
    case jpeg

    /// The PNG signature: `\x89 P N G \r \n \x1A \n`.
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// A WebP file is a RIFF container: "RIFF", a little-endian size, then "WEBP".
    static let riffTag: [UInt8] = Array("RIFF".utf8)
    static let webpTag: [UInt8] = Array("WEBP".utf8)
    /// A JPEG file starts with SOI (FF D8) and the first marker's FF.
    static let jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]

    /// The format whose signature `bytes` start with, or nil.
    ///
    /// PNG needs its full 8-byte signature; WebP needs "RIFF" at offset 0 and "WEBP" at
    /// offset 8; JPEG needs FF D8 FF. File names and MIME types are deliberately not consulted.
    public static func sniff(_ bytes: [UInt8]) -> ImageFormat? {
        if bytes.starts(with: pngSignature) { return .png }
        if bytes.starts(with: jpegSignature) { return .jpeg }
        if bytes.count >= 12, bytes.starts(with: riffTag), bytes[8..<12].elementsEqual(webpTag) {
            return .webp
        }
        return nil
    }

    /// The format for which `bytes` (too short to sniff) are a proper prefix of the signature,
    /// so that a file cut inside its signature reads as truncated rather than unknown.
    static func truncatedSignature(_ bytes: [UInt8]) -> ImageFormat? {
        guard !bytes.isEmpty else { return nil }
        if bytes.count < pngSignature.count, pngSignature.starts(with: bytes) { return .png }
        if bytes.count < jpegSignature.count, jpegSignature.starts(with: bytes) { return .jpeg }
        if bytes.count < 12 {
            let riff = bytes.prefix(4)
            let tag = bytes.dropFirst(8)
            if riffTag.starts(with: riff), webpTag.starts(with: tag) { return .webp }
        }
        return nil
    }

    /// Checks that `bytes` start with this format's signature: empty input, a file cut inside
    /// its signature and any other start each get their own error.
    func requireSignature(_ bytes: [UInt8]) throws(ImageCodecError) {
        guard !bytes.isEmpty else { throw .emptyInput }
        guard ImageFormat.sniff(bytes) == self else {
            if ImageFormat.truncatedSignature(bytes) == self { throw .truncated(self) }
            throw .unknownFormat(leadingBytes: ImageCodecError.hexPrefix(bytes))
        }
    }

    /// The conventional MIME type (`image/png`, `image/webp`, `image/jpeg`).
    public var mimeType: String { "image/\(rawValue)" }

    /// The format a file name's extension names (case-insensitive: png; webp; jpg, jpeg, jpe,
    /// jfif), or nil for any other extension or none.
    public static func fromExtension(of fileName: String) -> ImageFormat? {
        guard let dot = fileName.lastIndex(of: "."), !fileName[dot...].contains("/") else { return nil }
        switch fileName[fileName.index(after: dot)...].lowercased() {
        case "png": return .png
        case "webp": return .webp
        case "jpg", "jpeg", "jpe", "jfif": return .jpeg
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .png: "PNG"
        case .webp: "WebP"
        case .jpeg: "JPEG"
        }
    }
}
