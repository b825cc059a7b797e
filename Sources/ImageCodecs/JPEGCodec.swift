// JPEG decode and encode through libjpeg-turbo. Every libjpeg call goes through the C target
// JPEGShim, which catches libjpeg's errors with setjmp in C (libjpeg's default error handler
// calls exit(), and a longjmp across Swift frames would be undefined behaviour).

import JPEGShim

/// Decodes baseline and progressive JPEG files (gray, YCbCr, RGB, CMYK and YCCK) into an RGB
/// ``RGBImage`` with the EXIF orientation applied.
///
/// Gray becomes R = G = B. CMYK and YCCK become RGB by R = (255 − C)(255 − K)/255 (and so on
/// for G and B), the ink values un-inverted first when an Adobe APP14 marker is present (Adobe
/// applications store them inverted); ICC profiles are ignored. The orientation tag (0x0112) of
/// the first APP1 Exif segment is applied, so a portrait photo taken with the camera on its
/// side comes back upright, width and height swapped for orientations 5...8.
///
/// Decoding is strict: a file cut before its EOI marker is ``ImageCodecError/truncated(_:)``,
/// and entropy-coded data libjpeg reports as corrupt ("Corrupt JPEG data: ...") is
/// ``ImageCodecError/corruptData(_:message:)`` rather than a partly grey image. Stray bytes
/// between segments (common in camera files) and unknown JFIF or Adobe versions are accepted.
/// A progressive file with more than ``maxScans`` scans is refused (a small hostile file can
/// otherwise hold thousands of scans that each cost a full pass).
public enum JPEGDecoder {
    /// The most scans a progressive file may have (libjpeg's own simple progression writes 10).
    public static let maxScans = 256

    /// Decodes `bytes`, refusing images outside `limits` before allocating their pixels.
    public static func decode(_ bytes: [UInt8], limits: DecodeLimits = .default)
        throws(ImageCodecError) -> RGBImage
    {
        try ImageFormat.jpeg.requireSignature(bytes)
        return try bytes.withUnsafeBufferPointer { buffer throws(ImageCodecError) in
            try decode(buffer, limits: limits)
        }
    }

    private static func decode(_ buffer: UnsafeBufferPointer<UInt8>, limits: DecodeLimits)
        throws(ImageCodecError) -> RGBImage
    {
        guard let decoder = jpegshim_decoder_create(buffer.baseAddress, buffer.count) else {
            throw .corruptData(.jpeg, message: "libjpeg could not allocate its decoder")
        }
        defer { jpegshim_decoder_destroy(decoder) }

        // The orientation may swap the sides, so the C side checks the longer limit on both
        // and the oriented geometry is checked here, still before any pixel memory exists.
        let side = UInt32(clamping: max(0, max(limits.maxWidth, limits.maxHeight)))
        let pixelLimit = max(0, limits.maxPixels)
        // Progressive files keep every coefficient (2 bytes per sample, up to 3 samples per
        // pixel without subsampling), plus libjpeg's small working buffers.
        let (coefficientBytes, overflow) = pixelLimit.multipliedReportingOverflow(by: 8)
        let memory = overflow ? Int.max : coefficientBytes + (64 << 20)
        var header = jpegshim_header()
        let headerStatus = jpegshim_decoder_read_header(
            decoder, side, side, UInt64(pixelLimit), UInt32(maxScans), memory, &header)
        guard headerStatus == JPEGSHIM_OK else {
            throw error(for: headerStatus, decoder: decoder, header: header, limits: limits)
        }
        let storedWidth = Int(header.width)
        let storedHeight = Int(header.height)
        let orientation = ExifOrientation(rawValue: Int(header.orientation)) ?? .up
        let (width, height) = orientation.swapsSides
            ? (storedHeight, storedWidth) : (storedWidth, storedHeight)
        guard width > 0, height > 0 else { throw .zeroDimensions(.jpeg, width: width, height: height) }
        guard limits.allows(width: width, height: height) else {
            throw .dimensionsOverLimit(.jpeg, width: width, height: height, limits: limits)
        }

        let byteCount = storedWidth * storedHeight * 3
        var pixelStatus = JPEGSHIM_OK
        let pixels = [UInt8](unsafeUninitializedCapacity: byteCount) { storage, initialized in
            pixelStatus = jpegshim_decoder_read_pixels(decoder, storage.baseAddress, byteCount)
            // Every row is written on success; on failure nothing is kept.
            initialized = pixelStatus == JPEGSHIM_OK ? byteCount : 0
        }
        guard pixelStatus == JPEGSHIM_OK else {
            throw error(for: pixelStatus, decoder: decoder, header: header, limits: limits)
        }
        guard let stored = RGBImage(width: storedWidth, height: storedHeight, layout: .rgb, pixels: pixels)
        else {
            throw .corruptData(.jpeg, message: "decoded \(pixels.count) bytes for \(storedWidth)x\(storedHeight)")
        }
        return orientation.apply(to: stored)
    }

    private static func error(
        for status: jpegshim_status, decoder: OpaquePointer, header: jpegshim_header,
        limits: DecodeLimits
    ) -> ImageCodecError {
        let message = String(cString: jpegshim_decoder_message(decoder))
        switch status {
        case JPEGSHIM_TRUNCATED:
            return .truncated(.jpeg)
        case JPEGSHIM_ZERO_DIMENSIONS:
            return .zeroDimensions(.jpeg, width: Int(header.width), height: Int(header.height))
        case JPEGSHIM_OVER_LIMIT:
            return .dimensionsOverLimit(
                .jpeg, width: Int(header.width), height: Int(header.height), limits: limits)
        case JPEGSHIM_UNSUPPORTED:
            return .unsupported(.jpeg, feature: message.isEmpty ? "this JPEG variant" : message)
        case JPEGSHIM_OUT_OF_MEMORY:
            return .corruptData(.jpeg, message: "out of memory (\(message))")
        default:
            return .corruptData(.jpeg, message: message.isEmpty ? "libjpeg error" : message)
        }
    }
}

/// The EXIF orientation tag: how the stored pixels must be turned to display upright.
public enum ExifOrientation: Int, Sendable, CaseIterable {
    case up = 1, mirrored = 2, upsideDown = 3, flipped = 4
    case transposed = 5, rotatedClockwise = 6, transversed = 7, rotatedCounterclockwise = 8

    /// Orientations 5...8 exchange width and height.
    public var swapsSides: Bool { rawValue >= 5 }

    /// `image` as it is meant to be seen.
    public func apply(to image: RGBImage) -> RGBImage {
        guard self != .up else { return image }
        let w = image.width, h = image.height, c = image.channels
        let (outWidth, outHeight) = swapsSides ? (h, w) : (w, h)
        var output = RGBImage(width: outWidth, height: outHeight, layout: image.layout)
        image.pixels.withUnsafeBufferPointer { source in
            output.pixels.withUnsafeMutableBufferPointer { target in
                for y in 0..<h {
                    for x in 0..<w {
                        let (ox, oy): (Int, Int)
                        switch self {
                        case .up: (ox, oy) = (x, y)
                        case .mirrored: (ox, oy) = (w - 1 - x, y)
                        case .upsideDown: (ox, oy) = (w - 1 - x, h - 1 - y)
                        case .flipped: (ox, oy) = (x, h - 1 - y)
                        case .transposed: (ox, oy) = (y, x)
                        case .rotatedClockwise: (ox, oy) = (h - 1 - y, x)
                        case .transversed: (ox, oy) = (h - 1 - y, w - 1 - x)
                        case .rotatedCounterclockwise: (ox, oy) = (y, w - 1 - x)
                        }
                        let from = (y * w + x) * c
                        let to = (oy * outWidth + ox) * c
                        for k in 0..<c { target[to + k] = source[from + k] }
                    }
                }
            }
        }
        return output
    }
}

/// Encodes an ``RGBImage`` as a baseline JPEG (YCbCr, 4:2:0, no metadata).
///
/// JPEG has no alpha: an RGBA image whose alpha is 255 everywhere is written as its RGB; one
/// with any other alpha value is refused with ``ImageCodecError/invalidImage(_:reason:)``
/// rather than silently losing its transparency.
public enum JPEGEncoder {
    /// The quality used when the request names none.
    public static let defaultQuality = 90
    /// libjpeg's limit per side.
    public static let maxDimension = 65_500

    /// Encodes `image` at `quality` (1...100).
    public static func encode(_ image: RGBImage, quality: Int = defaultQuality)
        throws(ImageCodecError) -> [UInt8]
    {
        guard (1...100).contains(quality) else { throw .invalidQuality(Float(quality)) }
        let expected = image.width * image.height * image.channels
        guard image.pixels.count == expected else {
            throw .invalidImage(
                .jpeg,
                reason: "\(image.pixels.count) pixel bytes for a \(image.width)x\(image.height) "
                    + "\(image.layout) image, expected \(expected)")
        }
        guard image.width <= maxDimension, image.height <= maxDimension else {
            throw .invalidImage(
                .jpeg, reason: "\(image.width)x\(image.height) exceeds JPEG's \(maxDimension) per side")
        }
        var rgb = image
        if image.hasAlpha {
            let translucent = image.alphaChannel().reduce(0) { $0 + ($1 == 255 ? 0 : 1) }
            guard translucent == 0 else {
                throw .invalidImage(
                    .jpeg,
                    reason: "JPEG has no alpha channel and \(translucent) pixels are not opaque "
                        + "(use PNG or WebP to keep transparency)")
            }
            rgb = image.converted(to: .rgb)
        }
        return try encodeSamples(
            rgb.pixels, width: rgb.width, height: rgb.height, components: 3, quality: quality)
    }

    /// Writes raw samples: 1 (gray), 3 (RGB) or 4 (CMYK, stored as given with an Adobe
    /// marker, optionally as YCCK) components, baseline or progressive, optionally with an
    /// EXIF orientation tag. The tests use this to produce every kind of file.
    static func encodeSamples(
        _ samples: [UInt8], width: Int, height: Int, components: Int, quality: Int,
        progressive: Bool = false, fullChroma: Bool = false, ycck: Bool = false,
        exifOrientation: Int = 0
    ) throws(ImageCodecError) -> [UInt8] {
        guard samples.count == width * height * components else {
            throw .invalidImage(.jpeg, reason: "\(samples.count) samples for \(width)x\(height)x\(components)")
        }
        var status = JPEGSHIM_OK
        var output: UnsafeMutablePointer<UInt8>? = nil
        var outputSize = 0
        var message = [CChar](repeating: 0, count: 256)
        samples.withUnsafeBufferPointer { bytes in
            var params = jpegshim_encode_params()
            params.width = UInt32(width)
            params.height = UInt32(height)
            params.components = UInt32(components)
            params.ycck = ycck ? 1 : 0
            params.samples = bytes.baseAddress
            params.row_stride = width * components
            params.quality = Int32(quality)
            params.progressive = progressive ? 1 : 0
            params.full_chroma = fullChroma ? 1 : 0
            params.exif_orientation = UInt32(clamping: exifOrientation)
            status = message.withUnsafeMutableBufferPointer { text in
                jpegshim_encode(&params, &output, &outputSize, text.baseAddress, text.count)
            }
        }
        guard status == JPEGSHIM_OK, let output else {
            let text = String(
                decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) },
                as: UTF8.self)
            throw .encodeFailed(.jpeg, message: text.isEmpty ? "libjpeg error" : text)
        }
        defer { jpegshim_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: outputSize))
    }
}
