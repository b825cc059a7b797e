// JPEG decode against Pillow's decoding of the same files (Fixtures/make_jpeg_fixtures.py),
// EXIF orientations, CMYK/YCCK, limits before allocation, the encoder, and the malformed-input
// corpus: every cut file must read as truncated, every damaged file must give a typed error
// and none may crash (libjpeg errors are caught in C by JPEGShim).

import Foundation
import XCTest
@testable import ImageCodecs

final class JPEGTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/jpeg")

    func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
    }

    /// Largest per-sample difference between two images of the same geometry.
    func maxDifference(_ a: RGBImage, _ b: RGBImage) -> Int {
        zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
    }

    /// Our decoding vs Pillow's (its own libjpeg-turbo build). Both use the islow IDCT and
    /// fancy upsampling, so they agree to 1 level; CMYK conversion rounds differently (2).
    func testFixturesMatchPillow() throws {
        let cases: [(String, Int)] = [
            ("baseline-420", 1), ("baseline-444", 1), ("progressive", 1), ("restart-markers", 1),
            ("gray", 1), ("cmyk-adobe", 2),
        ] + (1...8).map { ("orientation-\($0)", 1) }
        for (name, tolerance) in cases {
            let image = try JPEGDecoder.decode(try fixture(name + ".jpg"))
            let reference = try PNGDecoder.decode(try fixture(name + ".png"))
            XCTAssertEqual(image.layout, .rgb, name)
            XCTAssertEqual(image.width, reference.width, name)
            XCTAssertEqual(image.height, reference.height, name)
            guard image.width == reference.width, image.height == reference.height else { continue }
            XCTAssertLessThanOrEqual(maxDifference(image, reference), tolerance, name)
            // Through the format-neutral entry point too.
            XCTAssertEqual(try ImageDecoder.decode(try fixture(name + ".jpg")), image, name)
        }
    }

    func testOrientationsTurnTheStoredPixels() throws {
        let stored = smoothImage(width: 24, height: 16, layout: .rgb)
        let upright = try JPEGDecoder.decode(
            try JPEGEncoder.encodeSamples(stored.pixels, width: 24, height: 16, components: 3,
                                          quality: 100, fullChroma: true))
        for orientation in ExifOrientation.allCases {
            let file = try JPEGEncoder.encodeSamples(
                stored.pixels, width: 24, height: 16, components: 3, quality: 100, fullChroma: true,
                exifOrientation: orientation.rawValue)
            let image = try JPEGDecoder.decode(file)
            XCTAssertEqual(image, orientation.apply(to: upright), "\(orientation)")
            XCTAssertEqual(image.width, orientation.swapsSides ? 16 : 24)
        }
        // Orientation 6 (camera turned clockwise): the stored top-left pixel ends top-right.
        var marked = RGBImage(width: 3, height: 2, layout: .rgb)
        marked.pixels[0] = 255
        let turned = ExifOrientation.rotatedClockwise.apply(to: marked)
        XCTAssertEqual(turned.width, 2)
        XCTAssertEqual(turned.pixels[(0 * 2 + 1) * 3], 255)
    }

    func testCMYKAndYCCK() throws {
        // Adobe convention: stored inverted (255 = no ink). Decoded: (255-C)(255-K)/255.
        let w = 16, h = 8
        var inverted = [UInt8](repeating: 0, count: w * h * 4)
        var expected = RGBImage(width: w, height: h, layout: .rgb)
        for p in 0..<(w * h) {
            let ink = [UInt8(p * 7 % 256), UInt8(p * 3 % 256), UInt8(255 - p % 256), UInt8(p % 64)]
            for k in 0..<4 { inverted[p * 4 + k] = 255 - ink[k] }
            for k in 0..<3 {
                expected.pixels[p * 3 + k] = UInt8(((255 - Int(ink[k])) * (255 - Int(ink[3])) + 127) / 255)
            }
        }
        for ycck in [false, true] {
            let file = try JPEGEncoder.encodeSamples(
                inverted, width: w, height: h, components: 4, quality: 100, fullChroma: true, ycck: ycck)
            let image = try JPEGDecoder.decode(file)
            XCTAssertEqual(image.layout, .rgb)
            let meanError = Double(zip(image.pixels, expected.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +))
                / Double(expected.pixels.count)
            XCTAssertLessThan(meanError, 3, "ycck \(ycck)")
        }
    }

    func testRoundTripAndAlpha() throws {
        let image = smoothImage(width: 41, height: 27, layout: .rgb)
        let decoded = try ImageDecoder.decode(try ImageEncoder.encode(image, as: .jpeg(quality: 95)))
        XCTAssertEqual(decoded.width, 41)
        XCTAssertEqual(decoded.height, 27)
        let squared = zip(image.pixels, decoded.pixels).map { Double(Int($0) - Int($1)) }.map { $0 * $0 }
        let psnr = 10 * log10(255 * 255 / (squared.reduce(0, +) / Double(squared.count)))
        XCTAssertGreaterThan(psnr, 35)
        // Opaque RGBA is written as its RGB; a transparent pixel is refused, not dropped.
        let opaque = image.converted(to: .rgba)
        XCTAssertEqual(try JPEGEncoder.encode(opaque), try JPEGEncoder.encode(image))
        var translucent = opaque
        translucent.pixels[3] = 10
        XCTAssertThrowsError(try JPEGEncoder.encode(translucent)) { error in
            guard case .invalidImage(.jpeg, let reason) = error as? ImageCodecError else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(reason.contains("1 pixels are not opaque"), reason)
        }
        XCTAssertThrowsCodecError(.invalidQuality(0)) { () throws(ImageCodecError) in
            try JPEGEncoder.encode(image, quality: 0)
        }
    }

    func testLimitsBeforeAllocation() throws {
        let file = try fixture("baseline-420.jpg")  // 37x23
        let limits = DecodeLimits(maxPixels: 800)
        XCTAssertThrowsCodecError(.dimensionsOverLimit(.jpeg, width: 37, height: 23, limits: limits)) {
            () throws(ImageCodecError) in try JPEGDecoder.decode(file, limits: limits)
        }
        let narrow = DecodeLimits(maxWidth: 30)
        XCTAssertThrowsCodecError(.dimensionsOverLimit(.jpeg, width: 37, height: 23, limits: narrow)) {
            () throws(ImageCodecError) in try ImageDecoder.decode(file, limits: narrow)
        }
        // A 19x11 file stored with orientation 6 is 11x19 upright: the limits apply to that.
        let turned = try fixture("orientation-6.jpg")
        XCTAssertNoThrow(try JPEGDecoder.decode(turned, limits: DecodeLimits(maxWidth: 11, maxHeight: 19)))
        let wide = DecodeLimits(maxWidth: 19, maxHeight: 11)
        XCTAssertThrowsCodecError(.dimensionsOverLimit(.jpeg, width: 11, height: 19, limits: wide)) {
            () throws(ImageCodecError) in try JPEGDecoder.decode(turned, limits: wide)
        }
        // A header claiming 60000x60000 in a 1 KiB file: refused from the header alone.
        var huge = file
        let sof = try XCTUnwrap(startOfFrame(huge))
        huge[sof + 5] = 0xEA; huge[sof + 6] = 0x60; huge[sof + 7] = 0xEA; huge[sof + 8] = 0x60
        XCTAssertThrowsCodecError(.dimensionsOverLimit(.jpeg, width: 60000, height: 60000, limits: .default)) {
            () throws(ImageCodecError) in try JPEGDecoder.decode(huge)
        }
    }

    /// Offset of the SOF0/SOF2 marker (FF C0 / FF C2).
    func startOfFrame(_ file: [UInt8]) -> Int? {
        var at = 2
        while at + 4 <= file.count, file[at] == 0xFF {
            let marker = file[at + 1]
            if marker == 0xC0 || marker == 0xC2 { return at }
            at += 2 + (Int(file[at + 2]) << 8 | Int(file[at + 3]))
        }
        return nil
    }

    // MARK: Malformed input

    func testSignatureAndUnknownFormat() {
        XCTAssertEqual(ImageFormat.sniff([0xFF, 0xD8, 0xFF, 0xE0]), .jpeg)
        XCTAssertEqual(ImageFormat.fromExtension(of: "/tmp/a.JPG"), .jpeg)
        XCTAssertEqual(ImageFormat.fromExtension(of: "photo.jpeg"), .jpeg)
        XCTAssertNil(ImageFormat.fromExtension(of: "dir.jpg/file"))
        XCTAssertEqual(ImageFormat.jpeg.mimeType, "image/jpeg")
        XCTAssertTrue(ImageCodecError.unknownFormat(leadingBytes: "47 49").description.contains("JPEG"))
    }

    func testTruncationsAtEveryOffset() throws {
        for name in ["baseline-420.jpg", "progressive.jpg", "restart-markers.jpg", "orientation-6.jpg"] {
            let file = try fixture(name)
            XCTAssertNoThrow(try JPEGDecoder.decode(file))
            for length in 0..<file.count {
                let cut = Array(file.prefix(length))
                let expected: ImageCodecError = length == 0 ? .emptyInput : .truncated(.jpeg)
                XCTAssertThrowsCodecError(expected, "\(name) cut at \(length) of \(file.count)") {
                    () throws(ImageCodecError) in try ImageDecoder.decode(cut)
                }
            }
        }
    }

    func testSpecificDamage() throws {
        let file = try fixture("baseline-420.jpg")
        let sof = try XCTUnwrap(startOfFrame(file))
        // Height 0 (DNL, which libjpeg does not support).
        var zero = file
        zero[sof + 5] = 0; zero[sof + 6] = 0
        XCTAssertThrowsCodecError(.zeroDimensions(.jpeg, width: 37, height: 0)) {
            () throws(ImageCodecError) in try JPEGDecoder.decode(zero)
        }
        // Marker lengths too short for the frame header, and a component count of 0.
        for (offset, value) in [(sof + 3, UInt8(0x05)), (sof + 3, UInt8(0x01)), (sof + 9, UInt8(0))] {
            var damaged = file
            damaged[offset] = value
            XCTAssertThrowsError(try JPEGDecoder.decode(damaged), "byte \(offset)") { error in
                guard case .corruptData(.jpeg, _) = error as? ImageCodecError else {
                    return XCTFail("byte \(offset): \(error)")
                }
            }
        }
        // Garbage inside the entropy-coded data: libjpeg's "Corrupt JPEG data" is an error.
        var garbage = file
        let scan = try XCTUnwrap((0..<(file.count - 1)).first { file[$0] == 0xFF && file[$0 + 1] == 0xDA })
        for i in (scan + 20)..<(scan + 40) { garbage[i] = 0xFF }
        XCTAssertThrowsError(try JPEGDecoder.decode(garbage)) { error in
            XCTAssertNotNil(error as? ImageCodecError, "\(error)")
        }
    }

    /// Every byte of the headers and about 200 spread over the scans, each flipped: the decoder
    /// either decodes (entropy-coded data has no checksum) or throws a typed codec error, within
    /// the limits, and never crashes.
    func testFlippedBytesNeverCrash() throws {
        for name in ["baseline-420.jpg", "progressive.jpg", "cmyk-adobe.jpg", "gray.jpg"] {
            let file = try fixture(name)
            let scan = (0..<(file.count - 1)).first { file[$0] == 0xFF && file[$0 + 1] == 0xDA } ?? file.count
            let offsets = Array(0..<scan) + Array(stride(from: scan, to: file.count, by: max(1, (file.count - scan) / 200)))
            for offset in offsets {
                for flip: UInt8 in [0xFF, 0x01] {
                    var damaged = file
                    damaged[offset] ^= flip
                    do {
                        let image = try ImageDecoder.decode(damaged, limits: DecodeLimits(maxPixels: 1 << 16))
                        XCTAssertLessThanOrEqual(image.width * image.height, 1 << 16)
                    } catch {
                        XCTAssertNotNil(error as ImageCodecError?)
                    }
                }
            }
        }
    }
}
