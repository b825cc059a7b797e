// PNGs written by an independent writer (Python zlib + struct, see Fixtures/make_png_fixtures.py),
// decoded and compared with the pixel formula that script uses.

import Foundation
import XCTest
@testable import ImageCodecs

final class PNGFixtureTests: XCTestCase {
    /// The script's pattern: v16 = ((x*37 + y*101 + c*53 + 11) * 40503) & 0xFFFF, top bits kept.
    func fixtureSample(x: Int, y: Int, c: Int, bitDepth: Int) -> Int {
        (((x * 37 + y * 101 + c * 53 + 11) * 40503) & 0xFFFF) >> (16 - bitDepth)
    }

    func expectedImage(colorType: UInt32, bitDepth: Int, tRNS: Bool) -> RGBImage {
        let width = 7, height = 5
        let samplesPerPixel = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType] ?? 1
        let hasAlpha = colorType == 4 || colorType == 6 || tRNS
        var image = RGBImage(width: width, height: height, layout: hasAlpha ? .rgba : .rgb)
        let key = (0..<samplesPerPixel).map { fixtureSample(x: 0, y: 0, c: $0, bitDepth: bitDepth) }
        let paletteAlphaCount = max(1, (1 << bitDepth) / 2)
        for y in 0..<height {
            for x in 0..<width {
                let s = (0..<samplesPerPixel).map { fixtureSample(x: x, y: y, c: $0, bitDepth: bitDepth) }
                let scaled = s.map { scaledTo8($0, bitDepth: bitDepth) }
                let keyAlpha: UInt8 = tRNS && s == key ? 0 : 255
                let rgba: [UInt8]
                switch colorType {
                case 0: rgba = [scaled[0], scaled[0], scaled[0], keyAlpha]
                case 2: rgba = scaled + [keyAlpha]
                case 3:
                    let i = s[0]
                    let alpha = tRNS && i < paletteAlphaCount ? UInt8((i * 89 + 7) & 255) : 255
                    rgba = [UInt8(i * 73 & 255), UInt8(i * 151 & 255), UInt8(i * 199 & 255), alpha]
                case 4: rgba = [scaled[0], scaled[0], scaled[0], scaled[1]]
                default: rgba = scaled
                }
                let offset = (y * width + x) * image.channels
                image.pixels.replaceSubrange(offset..<(offset + image.channels), with: rgba.prefix(image.channels))
            }
        }
        return image
    }

    func testIndependentlyWrittenFixturesDecode() throws {
        XCTAssertEqual(pngFixtures.count, 52)
        for fixture in pngFixtures {
            let label = "type \(fixture.colorType) \(fixture.bitDepth)-bit interlaced=\(fixture.interlaced) tRNS=\(fixture.tRNS)"
            let bytes = try XCTUnwrap(Data(base64Encoded: fixture.base64), label)
            let image = try ImageDecoder.decode(bytes)
            XCTAssertEqual(
                image, expectedImage(colorType: fixture.colorType, bitDepth: fixture.bitDepth, tRNS: fixture.tRNS),
                label)
        }
    }
}
