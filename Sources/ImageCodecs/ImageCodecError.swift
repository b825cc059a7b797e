// ImageCodecError: every way decoding or encoding can fail, each case carrying what a user needs
// to see (format, sizes, the library's own message).

/// Errors thrown by the PNG, WebP and JPEG codecs.
public enum ImageCodecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input had no bytes.
    case emptyInput
    /// The bytes start with none of the PNG signature, "RIFF....WEBP" and JPEG's FF D8 FF. `leadingBytes` is
    /// the first (up to 16) bytes in hex, e.g. "47 49 46 38 39 61".
    case unknownFormat(leadingBytes: String)
    /// The input ends before the image does (including a cut inside the signature).
    case truncated(ImageFormat)
    /// A PNG chunk failed its CRC check; `chunk` is its type, e.g. "IDAT".
    case badCRC(chunk: String)
    /// The data is damaged or invalid in another way; `message` is libpng's, libwebp's or
    /// libjpeg's reason.
    case corruptData(ImageFormat, message: String)
    /// The header declares a zero width or height.
    case zeroDimensions(ImageFormat, width: Int, height: Int)
    /// The header declares an image larger than the caller's limits; nothing was allocated.
    case dimensionsOverLimit(ImageFormat, width: Int, height: Int, limits: DecodeLimits)
    /// A valid file using a feature this module does not support, e.g. "animated WebP".
    case unsupported(ImageFormat, feature: String)
    /// An image handed to an encoder is inconsistent (pixel count vs geometry) or too large for
    /// the format.
    case invalidImage(ImageFormat, reason: String)
    /// A WebP lossy quality outside 0...100 (or not a number), or a JPEG quality outside 1...100.
    case invalidQuality(Float)
    /// The encoding library failed; `message` is its reason.
    case encodeFailed(ImageFormat, message: String)

    public var description: String {
        switch self {
        case .emptyInput:
            "empty input: no image bytes"
        case .unknownFormat(let leadingBytes):
            "unknown image format: expected a PNG, WebP or JPEG signature, file starts with \(leadingBytes)"
        case .truncated(let format):
            "truncated \(format) file: the data ends before the image does"
        case .badCRC(let chunk):
            "damaged PNG file: CRC error in chunk \(chunk)"
        case .corruptData(let format, let message):
            "corrupt \(format) data: \(message)"
        case .zeroDimensions(let format, let width, let height):
            "invalid \(format) file: image is \(width)x\(height), dimensions must be positive"
        case .dimensionsOverLimit(let format, let width, let height, let limits):
            "\(format) image is \(width)x\(height), over the limit (\(limits))"
        case .unsupported(let format, let feature):
            "unsupported \(format) feature: \(feature)"
        case .invalidImage(let format, let reason):
            "cannot encode as \(format): \(reason)"
        case .invalidQuality(let quality):
            "quality \(quality) is outside 0...100 (WebP) or 1...100 (JPEG)"
        case .encodeFailed(let format, let message):
            "\(format) encoding failed: \(message)"
        }
    }

    /// `leadingBytes` text for ``unknownFormat(leadingBytes:)``: up to 16 bytes, hex, spaced.
    static func hexPrefix(_ bytes: [UInt8]) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        return bytes.prefix(16).map { byte in
            String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined(separator: " ")
    }
}
