// Sniffing, error descriptions, ImageEncoder dispatch and the RGB/RGBA helpers.

import Foundation
import XCTest
@testable import ImageCodecs

final class FormatAndHelperTests: XCTestCase {
    func testSniffUsesBytesOnly() throws {
        let image = smoothImage(width: 3, height: 2, layout: .rgb)
        let png = try ImageEncoder.encode(image, as: .png)
        let webp = try ImageEncoder.encode(image, as: .webp(.lossless))
        XCTAssertEqual(ImageFormat.sniff(png), .png)
        XCTAssertEqual(ImageFormat.sniff(webp), .webp)
        XCTAssertEqual(ImageFormat.sniff(Data(webp)), .webp)
        XCTAssertNil(ImageFormat.sniff(Array("GIF89a".utf8)))
        XCTAssertNil(ImageFormat.sniff(Array(png.prefix(7))))
        XCTAssertEqual(try ImageDecoder.decode(Data(png)), image)
        XCTAssertEqual(ImageEncoding.webp(.lossy(50)).format, .webp)
    }

    func testEmptyAndUnknownInput() {
        XCTAssertThrowsCodecError(.emptyInput) { () throws(ImageCodecError) in try ImageDecoder.decode([UInt8]()) }
        XCTAssertThrowsCodecError(.emptyInput) { () throws(ImageCodecError) in try WebPDecoder.decode([]) }
        let gif = Array("GIF89a".utf8) + [UInt8](repeating: 0xFF, count: 20)
        XCTAssertThrowsCodecError(
            .unknownFormat(leadingBytes: "47 49 46 38 39 61 ff ff ff ff ff ff ff ff ff ff")
        ) { () throws(ImageCodecError) in try ImageDecoder.decode(gif) }
        // A PNG handed to the WebP decoder is not a WebP file.
        XCTAssertThrowsCodecError(
            .unknownFormat(leadingBytes: "89 50 4e 47 0d 0a 1a 0a")
        ) { () throws(ImageCodecError) in try WebPDecoder.decode(ImageFormat.pngSignature) }
    }

    func testDescriptionsNameTheValues() {
        let limits = DecodeLimits(maxPixels: 100, maxWidth: 10, maxHeight: 10)
        XCTAssertEqual(
            ImageCodecError.dimensionsOverLimit(.png, width: 100_000, height: 5, limits: limits).description,
            "PNG image is 100000x5, over the limit (at most 100 pixels and 10x10)")
        XCTAssertEqual(ImageCodecError.badCRC(chunk: "IDAT").description, "damaged PNG file: CRC error in chunk IDAT")
        XCTAssertEqual(ImageCodecError.truncated(.webp).description, "truncated WebP file: the data ends before the image does")
        XCTAssertTrue(ImageCodecError.unknownFormat(leadingBytes: "00 01").description.hasSuffix("starts with 00 01"))
    }

    func testLimitsAreOverflowSafe() {
        XCTAssertFalse(DecodeLimits(maxPixels: .max, maxWidth: .max, maxHeight: .max).allows(width: .max, height: 2))
        XCTAssertTrue(DecodeLimits.default.allows(width: 8192, height: 8192))
        XCTAssertFalse(DecodeLimits.default.allows(width: 8193, height: 8192))
    }

    func testLayoutConversionAndAlpha() throws {
        let rgb = try XCTUnwrap(RGBImage(width: 2, height: 1, layout: .rgb, pixels: [1, 2, 3, 4, 5, 6]))
        let rgba = rgb.converted(to: .rgba, alpha: 9)
        XCTAssertEqual(rgba.pixels, [1, 2, 3, 9, 4, 5, 6, 9])
        XCTAssertEqual(rgba.alphaChannel(), [9, 9])
        XCTAssertEqual(rgb.alphaChannel(), [255, 255])
        XCTAssertEqual(rgba.converted(to: .rgb), rgb)
        XCTAssertEqual(rgb.converted(to: .rgb), rgb)
        XCTAssertEqual(rgb.replacingAlpha(with: [0, 128])?.pixels, [1, 2, 3, 0, 4, 5, 6, 128])
        XCTAssertNil(rgb.replacingAlpha(with: [0]))
    }
}
