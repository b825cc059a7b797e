@testable import Editing
import Engine
import Foundation
import ImageCodecs
import TestSupport
import XCTest

/// The edits run end to end on the tiny random-weight model (stride 4, 4x4 grid, native 16 px).
/// The pictures are meaningless; what is checked is geometry, bit-exactness and determinism.
final class EditsOnTinyModelTests: XCTestCase {
    static let model: MaskGITModel = {
        do { return try MaskGITModel(directory: tinyFixtures) } catch { fatalError("tiny model: \(error)") }
    }()

    /// A smooth test picture with some structure, RGB or RGBA.
    static func picture(width: Int, height: Int, alpha: Bool = false) -> RGBImage {
        var image = RGBImage(width: width, height: height, layout: alpha ? .rgba : .rgb)
        let c = image.channels
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * c
                image.pixels[i] = UInt8((x * 255) / max(1, width - 1))
                image.pixels[i + 1] = UInt8((y * 255) / max(1, height - 1))
                image.pixels[i + 2] = UInt8(((x / 5 + y / 7) % 2) * 200 + 20)
                if alpha { image.pixels[i + 3] = UInt8((x * 7 + y * 13) % 256) }
            }
        }
        return image
    }

    /// Pixels a window's regenerated tokens cover, grown by `band` pixels.
    static func touched(_ result: EditResult, stride: Int, band: Int, width: Int, height: Int) -> [Bool] {
        var touched = [Bool](repeating: false, count: width * height)
        for window in result.windows {
            let s = Double(stride) / window.scale
            for r in 0..<window.gridShape.height {
                for col in 0..<window.gridShape.width where window.tokenMask[r * window.gridShape.width + col] {
                    let x0 = window.x + Int((Double(col) * s).rounded(.down)) - band
                    let y0 = window.y + Int((Double(r) * s).rounded(.down)) - band
                    let x1 = window.x + Int((Double(col + 1) * s).rounded(.up)) + band
                    let y1 = window.y + Int((Double(r + 1) * s).rounded(.up)) + band
                    for y in max(0, y0)..<min(height, y1) {
                        for x in max(0, x0)..<min(width, x1) { touched[y * width + x] = true }
                    }
                }
            }
        }
        return touched
    }

    func testInpaintKeepsEveryPixelOutsideTheFeatherBand() throws {
        let editor = try Self.model.editor()
        var generator = SystemRandomNumberGenerator()
        for (width, height, alpha) in [(16, 16, false), (40, 28, true), (13, 9, false)] {
            let image = Self.picture(width: width, height: height, alpha: alpha)
            var rects: [PixelRect] = []
            for _ in 0..<2 {
                let w = Int.random(in: 1...max(1, width / 3), using: &generator)
                let h = Int.random(in: 1...max(1, height / 3), using: &generator)
                rects.append(PixelRect(x: Int.random(in: 0...(width - w), using: &generator),
                                       y: Int.random(in: 0...(height - h), using: &generator), width: w, height: h))
            }
            let mask = PixelMask(width: width, height: height, rectangles: rects)
            let result = try editor.apply(InpaintEdit(image: image, mask: mask, condition: .classLabel(3),
                                                      featherRadius: 1, seed: 7))
            XCTAssertEqual(result.image.width, width)
            XCTAssertEqual(result.image.height, height)
            XCTAssertEqual(result.image.layout, image.layout)
            XCTAssertEqual(result.seed, 7)
            let band = Int((3 * result.featherRadius).rounded(.up)) + 1
            let touched = Self.touched(result, stride: 4, band: band, width: width, height: height)
            let c = image.channels
            for p in 0..<(width * height) {
                // Every masked pixel lies in a regenerated token.
                if mask.values[p] >= 0.5 { XCTAssertTrue(touched[p], "masked pixel \(p) not covered by the token mask") }
                if !touched[p] {
                    XCTAssertEqual(Array(result.image.pixels[(p * c)..<(p * c + c)]), Array(image.pixels[(p * c)..<(p * c + c)]),
                                   "pixel \(p % width),\(p / width) outside the band changed (\(width)x\(height))")
                }
                if alpha { XCTAssertEqual(result.image.pixels[p * c + 3], image.pixels[p * c + 3], "alpha changed") }
                // The default composite grows from the pixel mask: beyond the band around the mask
                // itself (not just around the regenerated cells) every byte is the input's.
                let px = p % width, py = p / width
                var near = false
                for y in max(0, py - band)...min(height - 1, py + band) where !near {
                    for x in max(0, px - band)...min(width - 1, px + band) where mask.values[y * width + x] >= 0.5 { near = true; break }
                }
                if !near {
                    XCTAssertEqual(Array(result.image.pixels[(p * c)..<(p * c + c)]), Array(image.pixels[(p * c)..<(p * c + c)]),
                                   "pixel \(px),\(py) farther than \(band) px from the mask changed")
                }
            }
        }
    }

    func testGenerateIsDeterministicPerSeed() throws {
        let editor = try Self.model.editor()
        let a = try editor.apply(GenerateEdit(condition: .classLabel(1), seed: 42))
        let b = try editor.apply(GenerateEdit(condition: .classLabel(1), seed: 42))
        let c = try editor.apply(GenerateEdit(condition: .classLabel(1), seed: 43))
        XCTAssertEqual(a.image.width, 16)
        XCTAssertEqual(a.image.pixels, b.image.pixels)
        XCTAssertEqual(a.tokens, b.tokens)
        XCTAssertNotEqual(a.tokens, c.tokens)
        // No null class in the official layout: unconditional generation is refused.
        XCTAssertThrowsError(try editor.apply(GenerateEdit(condition: .unconditional, seed: 1)))
    }

    func testOutpaintToThreeTimesTheNativeWidth() throws {
        let editor = try Self.model.editor()
        let image = Self.picture(width: 16, height: 16)
        let result = try editor.apply(OutpaintEdit(image: image, margins: EdgeInsets(right: 32), condition: .classLabel(0), seed: 3))
        XCTAssertEqual(result.image.width, 48)
        XCTAssertEqual(result.image.height, 16)
        for y in 0..<16 {
            for x in 0..<16 {
                let i = (y * 48 + x) * 3, j = (y * 16 + x) * 3
                XCTAssertEqual(Array(result.image.pixels[i..<(i + 3)]), Array(image.pixels[j..<(j + 3)]))
            }
        }
        XCTAssertGreaterThan(result.windows.count, 1, "past the native grid it slides windows")
        // No seam: no generated column is one constant colour from top to bottom.
        for x in 16..<48 {
            let first = Array(result.image.pixels[(x * 3)..<(x * 3 + 3)])
            let constant = (1..<16).allSatisfy { y in Array(result.image.pixels[((y * 48 + x) * 3)..<((y * 48 + x) * 3 + 3)]) == first }
            XCTAssertFalse(constant, "column \(x) is a constant-colour seam")
        }
    }

    func testOutpaintBatchedWindowsEqualOneByOneOnTheNetwork() throws {
        // The lockstep waves batch the windows' passes into one transformer call per step; the
        // network's batched forward gives the logits of its single ones, so the bytes agree.
        let editor = try Self.model.editor()
        let image = Self.picture(width: 16, height: 16)
        func run(_ batched: Bool) throws -> EditResult {
            try editor.apply(OutpaintEdit(image: image, margins: EdgeInsets(left: 24, top: 4, right: 28), condition: .classLabel(1),
                                          seed: 8, batchWindows: batched))
        }
        let batched = try run(true), single = try run(false)
        XCTAssertGreaterThan(OutpaintEdit.waves(OutpaintEdit.plannedWindows(
            OutpaintEdit.layout(width: 16, height: 16, margins: EdgeInsets(left: 24, top: 4, right: 28), tokenStride: 4,
                                window: editor.predictor.gridShape), window: editor.predictor.gridShape, stride: nil),
            window: editor.predictor.gridShape).map(\.count).max() ?? 0, 1, "some wave has several windows")
        XCTAssertEqual(batched.tokens, single.tokens)
        XCTAssertEqual(batched.image, single.image)
    }

    func testInpaintSameSeedSameBytesOtherSeedOtherImage() throws {
        let editor = try Self.model.editor()
        let image = Self.picture(width: 24, height: 20)
        let mask = PixelMask(width: 24, height: 20, rectangles: [PixelRect(x: 3, y: 5, width: 12, height: 9)])
        func run(_ seed: UInt64) throws -> [UInt8] {
            let result = try editor.apply(InpaintEdit(image: image, mask: mask, condition: .classLabel(2), seed: seed))
            return try PNGEncoder.encode(result.image)
        }
        XCTAssertEqual(try run(5), try run(5), "same seed, same PNG bytes")
        XCTAssertNotEqual(try run(5), try run(6))
    }

    func testClassEditUsesTheDilatedRegion() throws {
        let editor = try Self.model.editor()
        let image = Self.picture(width: 16, height: 16)
        let result = try editor.apply(ClassEdit(image: image, box: PixelRect(x: 4, y: 4, width: 4, height: 4), targetClass: 5, seed: 11))
        XCTAssertEqual(result.windows.count, 1)
        // Official bbox: token rows/cols max(0, 1 − 1) ..< min(4, 1 + 1 + 1) = 0..<3 → 9 tokens.
        XCTAssertEqual(result.windows[0].regeneratedCount, 9)
    }
}
