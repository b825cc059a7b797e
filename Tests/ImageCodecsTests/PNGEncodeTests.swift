// PNG encode: lossless round trips of 8-bit RGB and RGBA, and encoder input checks.

import XCTest
@testable import ImageCodecs

final class PNGEncodeTests: XCTestCase {
    func testRoundTripIsBitExact() throws {
        for layout in [RGBImage.Layout.rgb, .rgba] {
            for level in [0, PNGEncoder.defaultCompressionLevel, 9] {
                let image = randomImage(width: 37, height: 23, layout: layout, seed: UInt64(level + 10))
                let file = try PNGEncoder.encode(image, compressionLevel: level)
                XCTAssertEqual(ImageFormat.sniff(file), .png)
                XCTAssertEqual(file[25], layout == .rgba ? 6 : 2, "colour type for \(layout)")
                XCTAssertEqual(try ImageDecoder.decode(file), image, "\(layout) level \(level)")
            }
        }
    }

    func testOnePixelAndOpaqueRGBAKeepLayout() throws {
        let pixel = try XCTUnwrap(RGBImage(width: 1, height: 1, layout: .rgba, pixels: [1, 2, 3, 255]))
        XCTAssertEqual(try PNGDecoder.decode(try PNGEncoder.encode(pixel)), pixel)
    }

    func testCompressionShrinksSmoothImages() throws {
        let image = smoothImage(width: 128, height: 128, layout: .rgb)
        let stored = try PNGEncoder.encode(image, compressionLevel: 0)
        let compressed = try PNGEncoder.encode(image)
        XCTAssertLessThan(compressed.count, stored.count / 2)
    }

    func testInconsistentImageIsRefused() {
        var image = RGBImage(width: 4, height: 4, layout: .rgb)
        image.pixels.removeLast()
        XCTAssertThrowsCodecError(
            .invalidImage(.png, reason: "47 pixel bytes for a 4x4 rgb image, expected 48")
        ) { () throws(ImageCodecError) in try PNGEncoder.encode(image) }
    }

    func testLibpngErrorsBecomeEncodeFailed() {
        // Bit depth 3 is not a PNG bit depth; libpng's png_error must come back as a Swift error.
        let raw = PNGRawImage(width: 1, height: 1, bitDepth: 3, colorType: .gray, rows: [0], rowStride: 1)
        XCTAssertThrowsError(try raw.encode()) { error in
            guard case .encodeFailed(.png, let message)? = error as? ImageCodecError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertTrue(message.contains("bit depth"), message)
        }
    }
}
