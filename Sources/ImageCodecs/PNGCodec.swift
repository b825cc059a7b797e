// PNG decode and encode. All libpng calls go through the C target PNGShim, which catches
// libpng's longjmp errors with setjmp in C; longjmp across Swift frames would be undefined
// behaviour, so no libpng callback (not even the read cursor) is written in Swift.

import PNGShim

/// Decodes PNG files of every colour type, bit depth and interlacing into an ``RGBImage``.
///
/// Output layout: ``RGBImage/Layout/rgba`` when the file can carry transparency, that is gray+alpha
/// or RGBA colour types, or any colour type with a tRNS chunk (palette alpha or a colour key);
/// ``RGBImage/Layout/rgb`` otherwise. Gray becomes R = G = B; palette entries are looked up;
/// 1, 2 and 4-bit samples are scaled to 0...255 (1-bit: 0 and 255); 16-bit samples become
/// `round(v * 255 / 65535)`; Adam7 interlacing is undone. Colour-management and background
/// chunks (gAMA, cHRM, sRGB, iCCP, bKGD) are ignored: samples come back as stored, and alpha is
/// straight, never composited.
///
/// Decoding is strict: a CRC error in any chunk up to IEND, ancillary ones included, and a file
/// cut before IEND are errors. Bytes after IEND are ignored. Every CRC is checked before
/// decoding starts, so a damaged file reports ``ImageCodecError/badCRC(chunk:)`` rather than
/// whatever zlib or the row filters make of the damaged bytes.
public enum PNGDecoder {
    /// Decodes `bytes`, refusing images outside `limits` before allocating their pixels.
    public static func decode(_ bytes: [UInt8], limits: DecodeLimits = .default)
        throws(ImageCodecError) -> RGBImage
    {
        try ImageFormat.png.requireSignature(bytes)
        return try bytes.withUnsafeBufferPointer { buffer throws(ImageCodecError) in
            try decode(buffer, limits: limits)
        }
    }

    private static func decode(_ buffer: UnsafeBufferPointer<UInt8>, limits: DecodeLimits)
        throws(ImageCodecError) -> RGBImage
    {
        guard let decoder = pngshim_decoder_create(buffer.baseAddress, buffer.count) else {
            throw .corruptData(.png, message: "libpng could not allocate its decoder")
        }
        defer { pngshim_decoder_destroy(decoder) }

        var header = pngshim_header()
        let headerStatus = pngshim_decoder_read_header(
            decoder, clampedUInt32(limits.maxWidth), clampedUInt32(limits.maxHeight),
            UInt64(clamping: max(0, limits.maxPixels)), max(1, limits.maxChunkBytes), &header)
        guard headerStatus == PNGSHIM_OK else {
            throw error(for: headerStatus, decoder: decoder, header: header, limits: limits)
        }

        let width = Int(header.width)
        let height = Int(header.height)
        // The shim refuses both cases already; checked again so the invariant here does not
        // rest on C code.
        guard width > 0, height > 0 else { throw .zeroDimensions(.png, width: width, height: height) }
        guard limits.allows(width: width, height: height) else {
            throw .dimensionsOverLimit(.png, width: width, height: height, limits: limits)
        }
        let layout: RGBImage.Layout = header.channels == 4 ? .rgba : .rgb
        let byteCount = width * height * layout.rawValue

        var pixelStatus = PNGSHIM_OK
        let pixels = [UInt8](unsafeUninitializedCapacity: byteCount) { storage, initialized in
            pixelStatus = pngshim_decoder_read_pixels(decoder, storage.baseAddress, byteCount)
            // libpng writes every byte of every row on success; on failure nothing is kept.
            initialized = pixelStatus == PNGSHIM_OK ? byteCount : 0
        }
        guard pixelStatus == PNGSHIM_OK else {
            throw error(for: pixelStatus, decoder: decoder, header: header, limits: limits)
        }
        guard let image = RGBImage(width: width, height: height, layout: layout, pixels: pixels)
        else {
            throw .corruptData(.png, message: "decoded \(pixels.count) bytes for \(width)x\(height)")
        }
        return image
    }

    private static func error(
        for status: pngshim_status, decoder: OpaquePointer, header: pngshim_header,
        limits: DecodeLimits
    ) -> ImageCodecError {
        let message = String(cString: pngshim_decoder_message(decoder))
        switch status {
        case PNGSHIM_TRUNCATED:
            return .truncated(.png)
        case PNGSHIM_CRC_ERROR:
            return .badCRC(chunk: message)
        case PNGSHIM_ZERO_DIMENSIONS:
            return .zeroDimensions(.png, width: Int(header.width), height: Int(header.height))
        case PNGSHIM_OVER_LIMIT:
            return .dimensionsOverLimit(
                .png, width: Int(header.width), height: Int(header.height), limits: limits)
        default:
            // The shim's up-front CRC pass should catch these, but libpng's own check is kept:
            // png_chunk_error prefixes the chunk type, "IDAT: CRC error".
            if message.contains("CRC error") {
                let parts = message.split(separator: ":", maxSplits: 1)
                return .badCRC(chunk: parts.count == 2 ? String(parts[0]) : "unknown")
            }
            return .corruptData(.png, message: message.isEmpty ? "libpng error" : message)
        }
    }

    private static func clampedUInt32(_ value: Int) -> UInt32 {
        UInt32(clamping: max(0, value))
    }
}

/// Encodes an ``RGBImage`` as a lossless 8-bit PNG (colour type RGB or RGBA, not interlaced).
public enum PNGEncoder {
    /// zlib level used when none is given: the usual balance of size and speed.
    public static let defaultCompressionLevel = 6

    /// Encodes `image`; decoding the result gives back exactly the same pixels and layout.
    ///
    /// - Parameter compressionLevel: zlib level, clamped to 0 (store) ... 9 (smallest).
    public static func encode(_ image: RGBImage, compressionLevel: Int = defaultCompressionLevel)
        throws(ImageCodecError) -> [UInt8]
    {
        let expected = image.width * image.height * image.channels
        guard image.pixels.count == expected else {
            throw .invalidImage(
                .png,
                reason: "\(image.pixels.count) pixel bytes for a \(image.width)x\(image.height) "
                    + "\(image.layout) image, expected \(expected)")
        }
        let raw = PNGRawImage(
            width: image.width, height: image.height, bitDepth: 8,
            colorType: image.hasAlpha ? .rgba : .rgb,
            rows: image.pixels, rowStride: image.width * image.channels)
        return try raw.encode(compressionLevel: compressionLevel)
    }
}

/// A PNG described in PNG's own terms (any colour type, bit depth, palette, tRNS, interlace),
/// written by libpng. ``PNGEncoder`` uses it for 8-bit RGB(A); the tests use it to produce
/// every kind of PNG the decoder must read.
struct PNGRawImage {
    /// PNG colour types, raw values as in IHDR.
    enum ColorType: UInt32 {
        case gray = 0
        case rgb = 2
        case palette = 3
        case grayAlpha = 4
        case rgba = 6
    }

    var width: Int
    var height: Int
    /// 1, 2, 4, 8 or 16, as PNG allows for `colorType`.
    var bitDepth: Int
    var colorType: ColorType
    var interlaced = false
    /// Rows in PNG sample format: packed below 8 bits (first pixel in the high bits),
    /// big-endian at 16 bits; row `y` starts at `y * rowStride`.
    var rows: [UInt8]
    var rowStride: Int
    /// Palette entries as RGB triples (colour type 3).
    var palette: [UInt8] = []
    /// tRNS alpha for the first `paletteAlpha.count` palette entries (colour type 3).
    var paletteAlpha: [UInt8] = []
    /// tRNS colour key in file sample units: one value for gray, three for RGB.
    var transparentColor: [UInt16]? = nil

    /// Bytes needed for one packed row of `width` pixels.
    static func packedRowBytes(width: Int, bitDepth: Int, colorType: ColorType) -> Int {
        let samples: Int
        switch colorType {
        case .gray, .palette: samples = 1
        case .grayAlpha: samples = 2
        case .rgb: samples = 3
        case .rgba: samples = 4
        }
        return (width * samples * bitDepth + 7) / 8
    }

    /// The PNG file, or ``ImageCodecError/encodeFailed(_:message:)`` with libpng's reason.
    func encode(compressionLevel: Int = PNGEncoder.defaultCompressionLevel)
        throws(ImageCodecError) -> [UInt8]
    {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw .invalidImage(.png, reason: "dimensions \(width)x\(height) are not valid for PNG")
        }
        let minimumRow = Self.packedRowBytes(width: width, bitDepth: bitDepth, colorType: colorType)
        guard rowStride >= minimumRow, rows.count >= (height - 1) * rowStride + minimumRow else {
            throw .invalidImage(.png, reason: "\(rows.count) row bytes for \(width)x\(height)")
        }
        guard palette.count % 3 == 0, palette.count / 3 <= 256, paletteAlpha.count <= 256 else {
            throw .invalidImage(.png, reason: "palette of \(palette.count) bytes")
        }
        var status = PNGSHIM_OK
        var output: UnsafeMutablePointer<UInt8>? = nil
        var outputSize = 0
        var message = [CChar](repeating: 0, count: 256)
        rows.withUnsafeBufferPointer { rowBytes in
            palette.withUnsafeBufferPointer { paletteBytes in
                paletteAlpha.withUnsafeBufferPointer { alphaBytes in
                    var params = pngshim_encode_params()
                    params.width = UInt32(width)
                    params.height = UInt32(height)
                    params.bit_depth = UInt32(clamping: bitDepth)
                    params.color_type = colorType.rawValue
                    params.interlaced = interlaced ? 1 : 0
                    params.rows = rowBytes.baseAddress
                    params.row_stride = rowStride
                    params.palette_rgb = paletteBytes.baseAddress
                    params.palette_count = UInt32(palette.count / 3)
                    params.palette_alpha = alphaBytes.baseAddress
                    params.palette_alpha_count = UInt32(paletteAlpha.count)
                    if let key = transparentColor {
                        params.has_trns_color = 1
                        if key.count == 1 {
                            params.trns_gray = key[0]
                        } else if key.count == 3 {
                            params.trns_red = key[0]
                            params.trns_green = key[1]
                            params.trns_blue = key[2]
                        }
                    }
                    params.compression_level = Int32(min(max(compressionLevel, 0), 9))
                    status = message.withUnsafeMutableBufferPointer { text in
                        pngshim_encode(&params, &output, &outputSize, text.baseAddress, text.count)
                    }
                }
            }
        }
        guard status == PNGSHIM_OK, let output else {
            let text = String(
                decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) },
                as: UTF8.self)
            throw .encodeFailed(.png, message: text.isEmpty ? "libpng error" : text)
        }
        defer { pngshim_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: outputSize))
    }
}
