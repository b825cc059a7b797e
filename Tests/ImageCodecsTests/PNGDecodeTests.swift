// PNG decode of every colour type, bit depth and interlacing, against expected 8-bit pixels
// computed here from the file-unit samples. Files are written by libpng (PNGRawImage).

import XCTest
@testable import ImageCodecs

final class PNGDecodeTests: XCTestCase {
    typealias ColorType = PNGRawImage.ColorType

    /// Every colour type with every bit depth PNG allows for it.
    static let combinations: [(ColorType, [Int])] = [
        (.gray, [1, 2, 4, 8, 16]),
        (.rgb, [8, 16]),
        (.palette, [1, 2, 4, 8]),
        (.grayAlpha, [8, 16]),
        (.rgba, [8, 16]),
    ]

    /// A random image of `colorType`/`bitDepth` (odd size, so Adam7 passes and bit packing have
    /// partial bytes), the PNG libpng writes for it, and the 8-bit pixels the decoder must give.
    func makeCase(
        _ colorType: ColorType, bitDepth: Int, interlaced: Bool, withTRNS: Bool, seed: UInt64
    ) throws -> (file: [UInt8], expected: RGBImage) {
        let width = 13, height = 7
        var generator = SeededGenerator(seed: seed)
        let maxSample = (1 << bitDepth) - 1
        let samplesPerPixel = [ColorType.gray: 1, .rgb: 3, .palette: 1, .grayAlpha: 2, .rgba: 4][colorType] ?? 1

        var samples = (0..<(width * height * samplesPerPixel)).map { _ in Int.random(in: 0...maxSample, using: &generator) }
        var raw = PNGRawImage(
            width: width, height: height, bitDepth: bitDepth, colorType: colorType,
            interlaced: interlaced, rows: [], rowStride: 0)
        var paletteAlpha: [UInt8] = []
        if colorType == .palette {
            raw.palette = randomBytes(3 * (maxSample + 1), seed: seed &+ 1)
            if withTRNS {
                // Alpha for the first entries only; the rest must read as opaque.
                paletteAlpha = randomBytes(max(1, (maxSample + 1) / 2), seed: seed &+ 2)
                raw.paletteAlpha = paletteAlpha
            }
        }
        var key: [Int]? = nil
        if withTRNS, colorType == .gray || colorType == .rgb {
            // Use the first pixel's colour as the key, so at least one pixel turns transparent.
            key = Array(samples[0..<samplesPerPixel])
            raw.transparentColor = key?.map { UInt16($0) }
            // And make sure some pixel is not the key.
            if samples[samplesPerPixel] == samples[0] { samples[samplesPerPixel] = (samples[0] + 1) & maxSample }
        }
        var rows: [UInt8] = []
        let rowSamples = width * samplesPerPixel
        for y in 0..<height {
            rows += packRow(Array(samples[(y * rowSamples)..<((y + 1) * rowSamples)]), bitDepth: bitDepth)
        }
        raw.rows = rows
        raw.rowStride = rows.count / height

        let hasAlpha = colorType == .grayAlpha || colorType == .rgba || withTRNS
        var expected = RGBImage(width: width, height: height, layout: hasAlpha ? .rgba : .rgb)
        for pixel in 0..<(width * height) {
            let s = Array(samples[(pixel * samplesPerPixel)..<((pixel + 1) * samplesPerPixel)])
            var rgba: [UInt8]
            switch colorType {
            case .gray:
                let g = scaledTo8(s[0], bitDepth: bitDepth)
                rgba = [g, g, g, key == s ? 0 : 255]
            case .rgb:
                rgba = s.map { scaledTo8($0, bitDepth: bitDepth) } + [key == s ? 0 : 255]
            case .palette:
                let entry = s[0]
                rgba = Array(raw.palette[(3 * entry)..<(3 * entry + 3)])
                    + [entry < paletteAlpha.count ? paletteAlpha[entry] : 255]
            case .grayAlpha:
                let g = scaledTo8(s[0], bitDepth: bitDepth)
                rgba = [g, g, g, scaledTo8(s[1], bitDepth: bitDepth)]
            case .rgba:
                rgba = s.map { scaledTo8($0, bitDepth: bitDepth) }
            }
            let channels = expected.channels
            expected.pixels.replaceSubrange((pixel * channels)..<((pixel + 1) * channels), with: rgba.prefix(channels))
        }
        return (try raw.encode(), expected)
    }

    func testEveryColourTypeBitDepthAndInterlace() throws {
        var checked = 0
        for (colorType, depths) in Self.combinations {
            for bitDepth in depths {
                for interlaced in [false, true] {
                    let trnsOptions = [ColorType.gray, .rgb, .palette].contains(colorType) ? [false, true] : [false]
                    for withTRNS in trnsOptions {
                        let label = "\(colorType) \(bitDepth)-bit interlaced=\(interlaced) tRNS=\(withTRNS)"
                        let (file, expected) = try makeCase(
                            colorType, bitDepth: bitDepth, interlaced: interlaced, withTRNS: withTRNS,
                            seed: UInt64(checked + 1))
                        // The IHDR really says what we asked for.
                        XCTAssertEqual(Int(file[24]), bitDepth, label)
                        XCTAssertEqual(UInt32(file[25]), colorType.rawValue, label)
                        XCTAssertEqual(file[28], interlaced ? 1 : 0, label)
                        let image = try ImageDecoder.decode(file)
                        XCTAssertEqual(image.layout, expected.layout, label)
                        XCTAssertEqual(image.width, expected.width, label)
                        XCTAssertEqual(image.height, expected.height, label)
                        XCTAssertEqual(image.pixels, expected.pixels, label)
                        checked += 1
                    }
                }
            }
        }
        XCTAssertEqual(checked, 2 * (5 + 2 + 4 + 2 + 2) + 2 * (5 + 2 + 4))
    }

    /// 0xABCD / 257 = 171.1, so the rounded 8-bit value is 0xAB; the whole 16-bit range must
    /// match round(v * 255 / 65535) (v / 257 never ends in .5, so rounding is unambiguous).
    func testSixteenBitScalesWithRounding() throws {
        let values = Array(0..<65536)
        let raw = PNGRawImage(
            width: 256, height: 256, bitDepth: 16, colorType: .gray,
            rows: packRow(values, bitDepth: 16), rowStride: 512)
        let image = try PNGDecoder.decode(try raw.encode())
        XCTAssertEqual(image.layout, .rgb)
        XCTAssertEqual(image.pixels[0xABCD * 3], 0xAB)
        XCTAssertEqual(image.pixels[0x8100 * 3], 128, "33024 / 257 = 128.498, rounds down")
        XCTAssertEqual(image.pixels[0x8101 * 3], 129, "33025 / 257 = 128.502, rounds up")
        for value in values {
            let expected = UInt8((Double(value) * 255 / 65535).rounded())
            guard image.pixels[value * 3] == expected else {
                return XCTFail("16-bit \(value) decoded as \(image.pixels[value * 3]), expected \(expected)")
            }
        }
    }

    /// 1-bit gray is black or white; 2-bit is 0, 85, 170, 255 (v * 0x55).
    func testLowBitDepthGrayLevels() throws {
        let oneBit = PNGRawImage(width: 8, height: 1, bitDepth: 1, colorType: .gray, rows: [0b1010_0110], rowStride: 1)
        let image = try PNGDecoder.decode(try oneBit.encode())
        XCTAssertEqual(image.pixels.enumerated().filter { $0.offset % 3 == 0 }.map(\.element),
                       [255, 0, 255, 0, 0, 255, 255, 0])
        let twoBit = PNGRawImage(width: 4, height: 1, bitDepth: 2, colorType: .gray, rows: [0b00_01_10_11], rowStride: 1)
        let levels = try PNGDecoder.decode(try twoBit.encode())
        XCTAssertEqual(levels.pixels, [0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255])
    }

    /// Palette lookups, with tRNS for entry 0 only: entry 1 stays opaque.
    func testPaletteWithTRNS() throws {
        let raw = PNGRawImage(
            width: 3, height: 1, bitDepth: 8, colorType: .palette, rows: [1, 0, 1], rowStride: 3,
            palette: [10, 20, 30, 200, 150, 100], paletteAlpha: [64])
        let image = try PNGDecoder.decode(try raw.encode())
        XCTAssertEqual(image.layout, .rgba)
        XCTAssertEqual(image.pixels, [200, 150, 100, 255, 10, 20, 30, 64, 200, 150, 100, 255])
    }

    /// A palette file without tRNS decodes to RGB.
    func testPaletteWithoutTRNSIsRGB() throws {
        let raw = PNGRawImage(
            width: 2, height: 1, bitDepth: 8, colorType: .palette, rows: [1, 0], rowStride: 2,
            palette: [10, 20, 30, 200, 150, 100])
        let image = try PNGDecoder.decode(try raw.encode())
        XCTAssertEqual(image.layout, .rgb)
        XCTAssertEqual(image.pixels, [200, 150, 100, 10, 20, 30])
    }

    /// A 16-bit gray colour key is compared at 16 bits, before scaling: 0x1234 is transparent,
    /// 0x1235 (same 8-bit value) is not.
    func testSixteenBitColourKeyComparesFullPrecision() throws {
        let raw = PNGRawImage(
            width: 2, height: 1, bitDepth: 16, colorType: .gray,
            rows: packRow([0x1234, 0x1235], bitDepth: 16), rowStride: 4, transparentColor: [0x1234])
        let image = try PNGDecoder.decode(try raw.encode())
        XCTAssertEqual(image.layout, .rgba)
        XCTAssertEqual(image.alphaChannel(), [0, 255])
        XCTAssertEqual(image.pixels[0], 0x12)
    }
}
