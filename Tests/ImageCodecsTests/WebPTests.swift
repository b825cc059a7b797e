// WebP: lossless and lossy round trips, and the malformed corpus (truncations, garbage after
// the RIFF header, a hand-built animation).

import XCTest
@testable import ImageCodecs

final class WebPTests: XCTestCase {
    func testLosslessRoundTripIsBitExact() throws {
        for layout in [RGBImage.Layout.rgb, .rgba] {
            // RGBA has alpha 0 on every 5th pixel with random RGB under it: config.exact keeps it.
            let image = randomImage(width: 33, height: 17, layout: layout, seed: 21)
            let file = try WebPEncoder.encode(image, quality: .lossless)
            XCTAssertEqual(ImageFormat.sniff(file), .webp)
            XCTAssertEqual(Array(file[12..<16]), Array("VP8L".utf8))
            XCTAssertEqual(try ImageDecoder.decode(file), image, "\(layout)")
        }
    }

    /// libwebp drops an all-opaque alpha channel, so opaque RGBA comes back as RGB.
    func testOpaqueRGBAComesBackAsRGB() throws {
        let image = smoothImage(width: 8, height: 8, layout: .rgb).converted(to: .rgba)
        let decoded = try WebPDecoder.decode(try WebPEncoder.encode(image))
        XCTAssertEqual(decoded.layout, .rgb)
        XCTAssertEqual(decoded.converted(to: .rgba), image)
    }

    /// Stated tolerance: mean absolute error under 3 (of 255) per sample at quality 90 on a
    /// smooth image, alpha (stored losslessly by libwebp) exact.
    func testLossyRoundTripWithinTolerance() throws {
        for layout in [RGBImage.Layout.rgb, .rgba] {
            let image = smoothImage(width: 64, height: 48, layout: layout)
            let file = try WebPEncoder.encode(image, quality: .lossy(90))
            XCTAssertEqual(Array(file[12..<16]), Array((layout == .rgba ? "VP8X" : "VP8 ").utf8))
            let decoded = try ImageDecoder.decode(file)
            XCTAssertEqual(decoded.layout, layout)
            XCTAssertEqual(decoded.width, 64)
            XCTAssertEqual(decoded.height, 48)
            var total = 0, samples = 0
            for pixel in 0..<(64 * 48) {
                for channel in 0..<3 {
                    let index = pixel * layout.rawValue + channel
                    total += abs(Int(decoded.pixels[index]) - Int(image.pixels[index]))
                    samples += 1
                }
            }
            let meanError = Double(total) / Double(samples)
            XCTAssertLessThan(meanError, 3, "\(layout) mean abs error \(meanError)")
            XCTAssertEqual(decoded.alphaChannel(), image.alphaChannel(), "\(layout) alpha")
        }
    }

    func testLowerQualityIsSmaller() throws {
        let image = randomImage(width: 64, height: 64, layout: .rgb, seed: 5)
        let low = try WebPEncoder.encode(image, quality: .lossy(10))
        let high = try WebPEncoder.encode(image, quality: .lossy(95))
        XCTAssertLessThan(low.count, high.count)
    }

    func testEncoderInputChecks() {
        let image = smoothImage(width: 4, height: 4, layout: .rgb)
        XCTAssertThrowsCodecError(.invalidQuality(101)) { () throws(ImageCodecError) in
            try WebPEncoder.encode(image, quality: .lossy(101))
        }
        XCTAssertThrowsCodecError(.invalidQuality(-1)) { () throws(ImageCodecError) in
            try WebPEncoder.encode(image, quality: .lossy(-1))
        }
        let wide = RGBImage(width: 16_384, height: 1, layout: .rgb)
        XCTAssertThrowsCodecError(
            .invalidImage(.webp, reason: "16384x1 exceeds WebP's 16383 per side")
        ) { () throws(ImageCodecError) in try WebPEncoder.encode(wide) }
        var broken = image
        broken.pixels.append(0)
        XCTAssertThrowsCodecError(
            .invalidImage(.webp, reason: "49 pixel bytes for a 4x4 rgb image, expected 48")
        ) { () throws(ImageCodecError) in try WebPEncoder.encode(broken) }
    }

    func testOverLimitBeforeAllocating() throws {
        let file = try WebPEncoder.encode(smoothImage(width: 20, height: 10, layout: .rgb))
        let limits = DecodeLimits(maxPixels: 199)
        XCTAssertThrowsCodecError(.dimensionsOverLimit(.webp, width: 20, height: 10, limits: limits)) {
            () throws(ImageCodecError) in try ImageDecoder.decode(file, limits: limits)
        }
        XCTAssertNoThrow(try ImageDecoder.decode(file, limits: DecodeLimits(maxPixels: 200)))
    }

    func testTruncationsAtManyOffsets() throws {
        for quality in [WebPQuality.lossless, .lossy(80)] {
            let file = try WebPEncoder.encode(smoothImage(width: 24, height: 24, layout: .rgba), quality: quality)
            let lengths = Array(0..<min(64, file.count)) + Array(stride(from: 64, to: file.count, by: 5))
            for length in lengths {
                let expected: ImageCodecError = length == 0 ? .emptyInput : .truncated(.webp)
                XCTAssertThrowsCodecError(expected, "\(quality) cut at \(length) of \(file.count)") {
                    () throws(ImageCodecError) in try ImageDecoder.decode(Array(file.prefix(length)))
                }
            }
        }
    }

    /// A cut lossless file whose RIFF and VP8L chunk sizes are both patched to match: the
    /// container says the data is complete, so the bitstream stopping early is damage, not a
    /// cut file. (A really cut file fails the RIFF size check and reads as truncated.)
    func testShortBitstreamInsideConsistentSizesIsCorruptData() throws {
        let file = try WebPEncoder.encode(randomImage(width: 24, height: 24, layout: .rgb, seed: 8))
        for length in stride(from: 40, to: file.count - 1, by: 97) {
            var cut = Array(file.prefix(length))
            if cut.count % 2 == 1 { cut.removeLast() }
            cut.replaceSubrange(4..<8, with: littleEndian(UInt32(cut.count - 8)))
            cut.replaceSubrange(16..<20, with: littleEndian(UInt32(cut.count - 20)))
            XCTAssertThrowsCodecError(.corruptData(.webp, message: "bitstream error"), "cut at \(cut.count)") {
                () throws(ImageCodecError) in try WebPDecoder.decode(cut)
            }
        }
    }

    /// RIFF size patched to a cut file but the chunk inside still claiming its full length:
    /// the sizes contradict each other, which libwebp reports as a bitstream error.
    func testInconsistentChunkSizeIsCorruptData() throws {
        let file = try WebPEncoder.encode(randomImage(width: 24, height: 24, layout: .rgb, seed: 8))
        var cut = Array(file.prefix(200))
        cut.replaceSubrange(4..<8, with: littleEndian(UInt32(cut.count - 8)))
        XCTAssertThrowsCodecError(.corruptData(.webp, message: "bitstream error")) {
            () throws(ImageCodecError) in try WebPDecoder.decode(cut)
        }
    }

    func testGarbageAfterRIFFHeaderIsCorruptData() {
        for seed in UInt64(1)...5 {
            let file = riffFile(randomBytes(64, seed: seed))
            XCTAssertThrowsCodecError(.corruptData(.webp, message: "bitstream error"), "seed \(seed)") {
                () throws(ImageCodecError) in try ImageDecoder.decode(file)
            }
        }
        // A VP8L chunk whose payload is garbage (signature byte wrong).
        let file = riffFile(riffChunk("VP8L", [0x00] + randomBytes(40, seed: 9)))
        XCTAssertThrowsCodecError(.corruptData(.webp, message: "bitstream error")) {
            () throws(ImageCodecError) in try ImageDecoder.decode(file)
        }
    }

    func testAnimatedWebPIsUnsupported() throws {
        let frame = try WebPEncoder.encode(randomImage(width: 6, height: 4, layout: .rgba, seed: 2))
        let animated = animatedWebP(frame: frame, width: 6, height: 4)
        XCTAssertThrowsCodecError(.unsupported(.webp, feature: "animated WebP")) {
            () throws(ImageCodecError) in try ImageDecoder.decode(animated)
        }
        XCTAssertEqual(
            ImageCodecError.unsupported(.webp, feature: "animated WebP").description,
            "unsupported WebP feature: animated WebP")
    }

    func testOtherRIFFFormatsAreUnknown() {
        let wave = Array("RIFF".utf8) + littleEndian(4) + Array("WAVE".utf8)
        XCTAssertThrowsCodecError(.unknownFormat(leadingBytes: "52 49 46 46 04 00 00 00 57 41 56 45")) {
            () throws(ImageCodecError) in try ImageDecoder.decode(wave)
        }
    }
}
