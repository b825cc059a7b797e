// WebP decode and encode through libwebp's advanced API (WebPDecode with a status code;
// WebPEncode with a config, so lossless can keep RGB under fully transparent pixels exact,
// which the simple WebPEncodeLossless* functions do not).

import CWebP

/// Decodes still WebP files (lossy, lossless, with or without alpha) into an ``RGBImage``.
///
/// Output layout: ``RGBImage/Layout/rgba`` when the file declares alpha, ``RGBImage/Layout/rgb``
/// otherwise. (libwebp's lossless encoder drops an all-opaque alpha channel, so an opaque RGBA
/// image can come back as RGB.) Animated files are refused with
/// ``ImageCodecError/unsupported(_:feature:)`` and feature "animated WebP".
public enum WebPDecoder {
    /// Decodes `bytes`, refusing images outside `limits` before allocating their pixels.
    public static func decode(_ bytes: [UInt8], limits: DecodeLimits = .default)
        throws(ImageCodecError) -> RGBImage
    {
        try ImageFormat.webp.requireSignature(bytes)
        // RIFF size counts the bytes after the 8-byte "RIFF" + size header. libwebp checks this
        // too, but only on some paths; checking here makes every cut file read as truncated.
        let riffSize = Int(bytes[4]) | Int(bytes[5]) << 8 | Int(bytes[6]) << 16 | Int(bytes[7]) << 24
        guard riffSize + 8 <= bytes.count else { throw .truncated(.webp) }
        return try bytes.withUnsafeBufferPointer { buffer throws(ImageCodecError) in
            try decode(buffer, limits: limits)
        }
    }

    private static func decode(_ buffer: UnsafeBufferPointer<UInt8>, limits: DecodeLimits)
        throws(ImageCodecError) -> RGBImage
    {
        var features = WebPBitstreamFeatures()
        let featureStatus = WebPGetFeatures(buffer.baseAddress, buffer.count, &features)
        guard featureStatus == VP8_STATUS_OK else { throw error(for: featureStatus) }
        guard features.has_animation == 0 else { throw .unsupported(.webp, feature: "animated WebP") }

        let width = Int(features.width)
        let height = Int(features.height)
        guard width > 0, height > 0 else { throw .zeroDimensions(.webp, width: width, height: height) }
        guard limits.allows(width: width, height: height) else {
            throw .dimensionsOverLimit(.webp, width: width, height: height, limits: limits)
        }
        let layout: RGBImage.Layout = features.has_alpha != 0 ? .rgba : .rgb
        let stride = width * layout.rawValue
        let byteCount = stride * height

        var config = WebPDecoderConfig()
        guard WebPInitDecoderConfig(&config) != 0 else {
            throw .corruptData(.webp, message: "libwebp decoder ABI version mismatch")
        }
        var status = VP8_STATUS_OK
        let pixels = [UInt8](unsafeUninitializedCapacity: byteCount) { storage, initialized in
            // Decode straight into the array (the WebPDecodeRGB(A)Into path), but through
            // WebPDecode so that the failure reason comes back as a status code.
            config.output.colorspace = layout == .rgba ? MODE_RGBA : MODE_RGB
            config.output.is_external_memory = 1
            config.output.u.RGBA.rgba = storage.baseAddress
            config.output.u.RGBA.stride = Int32(stride)
            config.output.u.RGBA.size = byteCount
            status = WebPDecode(buffer.baseAddress, buffer.count, &config)
            WebPFreeDecBuffer(&config.output)
            initialized = status == VP8_STATUS_OK ? byteCount : 0
        }
        guard status == VP8_STATUS_OK else { throw error(for: status) }
        guard let image = RGBImage(width: width, height: height, layout: layout, pixels: pixels)
        else {
            throw .corruptData(.webp, message: "decoded \(pixels.count) bytes for \(width)x\(height)")
        }
        return image
    }

    private static func error(for status: VP8StatusCode) -> ImageCodecError {
        switch status {
        case VP8_STATUS_NOT_ENOUGH_DATA: .truncated(.webp)
        case VP8_STATUS_UNSUPPORTED_FEATURE: .unsupported(.webp, feature: "a bitstream feature libwebp does not support")
        case VP8_STATUS_BITSTREAM_ERROR: .corruptData(.webp, message: "bitstream error")
        case VP8_STATUS_OUT_OF_MEMORY: .corruptData(.webp, message: "out of memory")
        case VP8_STATUS_INVALID_PARAM: .corruptData(.webp, message: "invalid parameter")
        case VP8_STATUS_SUSPENDED: .truncated(.webp)
        case VP8_STATUS_USER_ABORT: .corruptData(.webp, message: "decoding aborted")
        default: .corruptData(.webp, message: "libwebp status \(status.rawValue)")
        }
    }
}

/// How ``WebPEncoder`` compresses.
public enum WebPQuality: Sendable, Equatable, Hashable {
    /// VP8L: decoding gives back exactly the same pixels, including RGB under alpha 0.
    case lossless
    /// VP8 with the given quality, 0 (smallest) ... 100 (best). Alpha, if any, is still stored
    /// losslessly.
    case lossy(Float)
}

/// Encodes an ``RGBImage`` as a still WebP file.
public enum WebPEncoder {
    /// WebP stores width and height in 14 bits.
    public static let maxDimension = Int(WEBP_MAX_DIMENSION)

    /// Encodes `image` with `quality`. Fails with ``ImageCodecError/invalidImage(_:reason:)``
    /// for a side over ``maxDimension`` and ``ImageCodecError/invalidQuality(_:)`` for a lossy
    /// quality outside 0...100.
    public static func encode(_ image: RGBImage, quality: WebPQuality = .lossless)
        throws(ImageCodecError) -> [UInt8]
    {
        let expected = image.width * image.height * image.channels
        guard image.pixels.count == expected else {
            throw .invalidImage(
                .webp,
                reason: "\(image.pixels.count) pixel bytes for a \(image.width)x\(image.height) "
                    + "\(image.layout) image, expected \(expected)")
        }
        guard image.width <= maxDimension, image.height <= maxDimension else {
            throw .invalidImage(
                .webp,
                reason: "\(image.width)x\(image.height) exceeds WebP's \(maxDimension) per side")
        }

        var config = WebPConfig()
        guard WebPConfigInit(&config) != 0 else {
            throw .encodeFailed(.webp, message: "libwebp encoder ABI version mismatch")
        }
        switch quality {
        case .lossless:
            config.lossless = 1
            config.exact = 1
            // For lossless, quality is effort; libwebp's default, 75, with method 4.
            config.quality = 75
        case .lossy(let value):
            guard value >= 0, value <= 100 else { throw .invalidQuality(value) }
            config.lossless = 0
            config.quality = value
        }
        config.method = 4
        guard WebPValidateConfig(&config) != 0 else {
            throw .encodeFailed(.webp, message: "libwebp rejected the configuration")
        }

        var picture = WebPPicture()
        guard WebPPictureInit(&picture) != 0 else {
            throw .encodeFailed(.webp, message: "libwebp encoder ABI version mismatch")
        }
        defer { WebPPictureFree(&picture) }
        picture.width = Int32(image.width)
        picture.height = Int32(image.height)
        picture.use_argb = config.lossless
        let stride = Int32(image.width * image.channels)
        let imported = image.pixels.withUnsafeBufferPointer { pixels in
            image.hasAlpha
                ? WebPPictureImportRGBA(&picture, pixels.baseAddress, stride)
                : WebPPictureImportRGB(&picture, pixels.baseAddress, stride)
        }
        guard imported != 0 else { throw .encodeFailed(.webp, message: "out of memory importing pixels") }

        let writer = UnsafeMutablePointer<WebPMemoryWriter>.allocate(capacity: 1)
        defer { writer.deallocate() }
        WebPMemoryWriterInit(writer)
        defer { WebPMemoryWriterClear(writer) }
        picture.writer = WebPMemoryWrite
        picture.custom_ptr = UnsafeMutableRawPointer(writer)

        guard WebPEncode(&config, &picture) != 0 else {
            throw .encodeFailed(.webp, message: message(for: picture.error_code))
        }
        return Array(UnsafeBufferPointer(start: writer.pointee.mem, count: writer.pointee.size))
    }

    private static func message(for code: WebPEncodingError) -> String {
        switch code {
        case VP8_ENC_ERROR_OUT_OF_MEMORY: "out of memory"
        case VP8_ENC_ERROR_BITSTREAM_OUT_OF_MEMORY: "out of memory for the bitstream"
        case VP8_ENC_ERROR_NULL_PARAMETER: "null parameter"
        case VP8_ENC_ERROR_INVALID_CONFIGURATION: "invalid configuration"
        case VP8_ENC_ERROR_BAD_DIMENSION: "bad picture dimension"
        case VP8_ENC_ERROR_PARTITION0_OVERFLOW: "partition 0 overflow (over 512 KiB)"
        case VP8_ENC_ERROR_PARTITION_OVERFLOW: "partition overflow (over 16 MiB)"
        case VP8_ENC_ERROR_BAD_WRITE: "write failed"
        case VP8_ENC_ERROR_FILE_TOO_BIG: "file over 4 GiB"
        case VP8_ENC_ERROR_USER_ABORT: "aborted"
        default: "libwebp encoding error \(code.rawValue)"
        }
    }
}
