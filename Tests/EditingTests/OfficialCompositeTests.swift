import Foundation
import ImageCodecs
import XCTest
@testable import Editing

/// The official class-editing composite against Pillow + numpy (Fixtures/official-composite,
/// made by `make_official_fixtures.py composite`): the exact latent mask of inference.py, the
/// weight after Pillow's bicubic resize and GaussianBlur (exact bytes), and a whole blend of an
/// unclipped output (within 1/255 per pixel).
final class OfficialCompositeTests: XCTestCase {
    private func cases() throws -> [String: Any] {
        try loadJSONFixture("official-composite/cases.json")
    }

    private func tokenMask(size: Int, box: [Int]) -> [Bool] {
        let g = size / 16
        let mask = PixelMask(width: size, height: size,
                             rectangles: [PixelRect(x: box[1], y: box[0], width: box[3], height: box[2])])
        return TokenMaskPolicy.official.tokenMask(for: mask, stride: 16, gridShape: GridShape(height: g, width: g))
    }

    func testLatentMaskIsTheOfficialOne() throws {
        for c in try XCTUnwrap(cases()["cases"] as? [[String: Any]]) {
            let size = try XCTUnwrap(c["size"] as? Int), box = c.ints("box")
            let rows = try XCTUnwrap(c["latentMask"] as? [String])
            let expected = rows.joined().map { $0 == "1" }
            XCTAssertEqual(tokenMask(size: size, box: box), expected, "size \(size) box \(box)")
        }
        // The example: a box at (15, 15) of 18×18 is 2×2 official tokens; the project's
        // officialBoundingBox adds every touched token (3×3).
        XCTAssertEqual(tokenMask(size: 256, box: [15, 15, 18, 18]).filter { $0 }.count, 4)
        let mask = PixelMask(width: 256, height: 256, rectangles: [PixelRect(x: 15, y: 15, width: 18, height: 18)])
        XCTAssertEqual(TokenMaskPolicy.officialBoundingBox.tokenMask(for: mask, stride: 16, gridShape: GridShape(height: 16, width: 16))
                        .filter { $0 }.count, 9)
    }

    func testWeightEqualsPillow() throws {
        for c in try XCTUnwrap(cases()["cases"] as? [[String: Any]]) {
            let size = try XCTUnwrap(c["size"] as? Int), box = c.ints("box")
            let file = try XCTUnwrap(c["file"] as? String)
            let png = try Data(contentsOf: editingFixtures.appendingPathComponent("official-composite/\(file)"))
            let expected = try ImageDecoder.decode(png)
            let g = size / 16
            let weight = OfficialComposite.weight(tokenMask: tokenMask(size: size, box: box), grid: GridShape(height: g, width: g),
                                                  width: size, height: size, radius: OfficialComposite.radius(windowSize: size))
            var worst = 0, differing = 0
            for i in 0..<(size * size) {
                let mine = Int((weight[i] * 255).rounded())
                let theirs = Int(expected.pixels[i * expected.channels])
                worst = max(worst, abs(mine - theirs))
                if mine != theirs { differing += 1 }
            }
            XCTAssertEqual(worst, 0, "size \(size) box \(box): \(differing) weights differ from Pillow")
        }
    }

    /// Every pixel with weight > 0 lies within `reach` (Chebyshev) of a regenerated token cell.
    func testReachBoundsTheWeight() throws {
        for (size, box) in [(64, [20, 12, 24, 30]), (256, [15, 15, 18, 18]), (256, [64, 48, 100, 120])] {
            let g = size / 16
            let mask = tokenMask(size: size, box: box)
            let radius = OfficialComposite.radius(windowSize: size)
            let weight = OfficialComposite.weight(tokenMask: mask, grid: GridShape(height: g, width: g), width: size, height: size,
                                                  radius: radius)
            let reach = OfficialComposite.reach(cell: 16, radius: radius)
            var worst = 0
            for y in 0..<size {
                for x in 0..<size where weight[y * size + x] > 0 {
                    var best = Int.max
                    for t in 0..<(g * g) where mask[t] {
                        let x0 = (t % g) * 16, y0 = (t / g) * 16
                        let dx = max(0, x0 - x, x - (x0 + 15)), dy = max(0, y0 - y, y - (y0 + 15))
                        best = min(best, max(dx, dy))
                    }
                    worst = max(worst, best)
                }
            }
            XCTAssertLessThanOrEqual(worst, reach, "size \(size) box \(box)")
            XCTAssertGreaterThan(worst, 0, "the weight reaches past the cells")
        }
    }

    func testBlendOfUnclippedOutputWithinOneLevel() throws {
        let blend = try XCTUnwrap(cases()["blend"] as? [String: Any])
        let size = try XCTUnwrap(blend["size"] as? Int), box = blend.ints("box")
        let expected = blend.ints("expectedBytes")
        var image = RGBImage(width: size, height: size, layout: .rgb)
        var outputs = PixelBuffer(width: size, height: size)
        for y in 0..<size {
            for x in 0..<size {
                let p = (y * size + x) * 3
                image.pixels[p] = UInt8((x * 4) % 256)
                image.pixels[p + 1] = UInt8((y * 4) % 256)
                image.pixels[p + 2] = UInt8(((x + y) * 2) % 256)
                outputs.samples[p] = Float(sin(Double(x) / 5) * 0.8 + 0.5)
                outputs.samples[p + 1] = Float(cos(Double(y) / 7) * 0.8 + 0.5)
                outputs.samples[p + 2] = Float(Double(x - y) / 40)
            }
        }
        let g = size / 16
        let weight = OfficialComposite.weight(tokenMask: tokenMask(size: size, box: box), grid: GridShape(height: g, width: g),
                                              width: size, height: size, radius: OfficialComposite.radius(windowSize: size))
        let out = OfficialComposite.blend(input: image, generated: outputs, x: 0, y: 0, weight: weight)
        var worst = 0
        for i in 0..<expected.count { worst = max(worst, abs(Int(out.pixels[i]) - expected[i])) }
        XCTAssertLessThanOrEqual(worst, 1, "max byte difference from Pillow + numpy")
        // Unclipped blending matters: clipping before the blend misses the reference somewhere.
        let clippedFirst = OfficialComposite.blend(input: image, generated: outputs.clipped(), x: 0, y: 0, weight: weight)
        let clippedWorst = (0..<expected.count).map { abs(Int(clippedFirst.pixels[$0]) - expected[$0]) }.max() ?? 0
        XCTAssertGreaterThan(clippedWorst, 1, "the fixture must tell clipping before from clipping after")
    }
}
