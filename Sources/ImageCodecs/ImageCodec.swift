// The format-neutral entry points: sniff the bytes, then hand them to the right codec.

import Foundation

/// Decodes PNG, WebP or JPEG bytes, chosen by their signature (never by a file name).
public enum ImageDecoder {
    /// Decodes `bytes` as PNG, WebP or JPEG. See ``PNGDecoder``, ``WebPDecoder`` and
    /// ``JPEGDecoder`` for the output layout (RGB, or RGBA when the file can carry transparency;
    /// JPEG is always RGB, EXIF orientation applied).
    ///
    /// Throws ``ImageCodecError/emptyInput`` for no bytes, ``ImageCodecError/truncated(_:)``
    /// for a file cut inside its signature, and ``ImageCodecError/unknownFormat(leadingBytes:)``
    /// for anything that is none of the three.
    public static func decode(_ bytes: [UInt8], limits: DecodeLimits = .default)
        throws(ImageCodecError) -> RGBImage
    {
        guard !bytes.isEmpty else { throw .emptyInput }
        switch ImageFormat.sniff(bytes) ?? ImageFormat.truncatedSignature(bytes) {
        case .png: return try PNGDecoder.decode(bytes, limits: limits)
        case .webp: return try WebPDecoder.decode(bytes, limits: limits)
        case .jpeg: return try JPEGDecoder.decode(bytes, limits: limits)
        case nil: throw .unknownFormat(leadingBytes: ImageCodecError.hexPrefix(bytes))
        }
    }

    /// Decodes `data`; the same as the `[UInt8]` overload.
    public static func decode(_ data: Data, limits: DecodeLimits = .default)
        throws(ImageCodecError) -> RGBImage
    {
        try decode([UInt8](data), limits: limits)
    }
}

extension ImageFormat {
    /// The format of `data`, or nil; the same as the `[UInt8]` overload.
    public static func sniff(_ data: Data) -> ImageFormat? {
        sniff([UInt8](data.prefix(12)))
    }
}

/// An output format with its settings.
public enum ImageEncoding: Sendable, Equatable, Hashable {
    /// Lossless PNG at ``PNGEncoder/defaultCompressionLevel``.
    case png
    /// WebP, lossless or lossy.
    case webp(WebPQuality)
    /// Baseline JPEG at a quality 1...100 (see ``JPEGEncoder``); RGB only.
    case jpeg(quality: Int)

    /// The container format.
    public var format: ImageFormat {
        switch self {
        case .png: .png
        case .webp: .webp
        case .jpeg: .jpeg
        }
    }
}

/// Encodes an ``RGBImage`` in a chosen ``ImageEncoding``.
public enum ImageEncoder {
    /// Encodes `image` as `encoding` describes.
    public static func encode(_ image: RGBImage, as encoding: ImageEncoding)
        throws(ImageCodecError) -> [UInt8]
    {
        switch encoding {
        case .png: try PNGEncoder.encode(image)
        case .webp(let quality): try WebPEncoder.encode(image, quality: quality)
        case .jpeg(let quality): try JPEGEncoder.encode(image, quality: quality)
        }
    }
}
