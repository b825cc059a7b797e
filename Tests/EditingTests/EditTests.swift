import XCTest
import ImageCodecs
@testable import Editing

/// Counts encode calls (cache tests).
final class EncodeCounter: @unchecked Sendable { var calls = 0 }

struct CountingTokenizer: ImageTokenizer {
    var base = FakeTokenizer()
    let counter: EncodeCounter
    var tokenStride: Int { base.tokenStride }
    var nativeSize: Int { base.nativeSize }
    func encode(_ image: PixelBuffer) throws -> TokenGrid { counter.calls += 1; return try base.encode(image) }
    func decode(_ grid: TokenGrid) throws -> PixelBuffer { try base.decode(grid) }
}

final class EditTests: XCTestCase {
    let editor = try! ImageEditor(tokenizer: FakeTokenizer(), predictor: FakePredictor())

    /// Pixels an edit may change: the regenerated tokens (in image coordinates) dilated by the
    /// blur's reach, plus the pixel mask. Everything else must be byte-identical.
    func assertUnchangedOutsideBand(_ input: RGBImage, _ result: EditResult, mask: PixelMask,
                                    file: StaticString = #filePath, line: UInt = #line) {
        let reach = Compositing.support(radius: result.featherRadius)
        var mayChange = [Bool](repeating: false, count: input.width * input.height)
        for w in result.windows {
            for r in 0..<w.height {
                for c in 0..<w.width {
                    let tr = min(w.gridShape.height - 1, Int(Double(r) * w.scale) / 4)
                    let tc = min(w.gridShape.width - 1, Int(Double(c) * w.scale) / 4)
                    guard w.tokenMask[tr * w.gridShape.width + tc] else { continue }
                    for y in (w.y + r - reach)...(w.y + r + reach) where y >= 0 && y < input.height {
                        for x in (w.x + c - reach)...(w.x + c + reach) where x >= 0 && x < input.width {
                            mayChange[y * input.width + x] = true
                        }
                    }
                }
            }
        }
        var changedOutside = 0, changedInside = 0
        for p in 0..<(input.width * input.height) {
            let same = (0..<input.channels).allSatisfy {
                input.pixels[p * input.channels + $0] == result.image.pixels[p * input.channels + $0]
            }
            if !same, !mayChange[p], mask.values[p] < 0.5 { changedOutside += 1 }
            if !same { changedInside += 1 }
        }
        XCTAssertEqual(changedOutside, 0, "pixels changed outside the feathered band", file: file, line: line)
        XCTAssertGreaterThan(changedInside, 0, "the edit changed nothing", file: file, line: line)
    }

    func randomMask(width: Int, height: Int, seed: UInt64, centre: (Int, Int), radius: Int) -> PixelMask {
        var mask = PixelMask(width: width, height: height)
        let source = RandomSource(seed: seed)
        for y in 0..<height {
            for x in 0..<width {
                let dx = x - centre.0, dy = y - centre.1
                if dx * dx + dy * dy <= radius * radius, source.uniform(at: y * width + x) < 0.7 { mask.values[y * width + x] = 1 }
            }
        }
        return mask
    }

    func testGenerate() throws {
        let result = try editor.apply(GenerateEdit(condition: .classLabel(3), seed: 77))
        XCTAssertEqual(result.image.width, 32)
        XCTAssertEqual(result.image.height, 32)
        XCTAssertEqual(result.seed, 77)
        XCTAssertTrue(result.tokens.isComplete)
        XCTAssertEqual(try editor.apply(GenerateEdit(condition: .classLabel(3), seed: 77)).image, result.image)
        XCTAssertNotEqual(try editor.apply(GenerateEdit(condition: .classLabel(3), seed: 78)).image, result.image)
        // A drawn seed is reported and replays.
        let drawn = try editor.apply(GenerateEdit(condition: .classLabel(1)))
        XCTAssertEqual(try editor.apply(GenerateEdit(condition: .classLabel(1), seed: drawn.seed)).image, drawn.image)
        XCTAssertThrowsError(try editor.apply(GenerateEdit(condition: .unconditional)))
    }

    func testInpaintRandomMaskRGBA() throws {
        let input = testImage(width: 32, height: 32, layout: .rgba)
        let mask = randomMask(width: 32, height: 32, seed: 5, centre: (14, 17), radius: 7)
        let edit = InpaintEdit(image: input, mask: mask, condition: .classLabel(2), seed: 42)
        let result = try editor.apply(edit)
        XCTAssertEqual(result.image.width, 32)
        XCTAssertEqual(result.image.height, 32)
        XCTAssertEqual(result.image.layout, .rgba)
        XCTAssertEqual(result.featherRadius, 1, "official radius 32/16 − 1")
        assertUnchangedOutsideBand(input, result, mask: mask)
        for p in 0..<(32 * 32) { XCTAssertEqual(result.image.pixels[p * 4 + 3], input.pixels[p * 4 + 3], "alpha at \(p)") }
        // Same seed, same bytes.
        XCTAssertEqual(try editor.apply(edit).image, result.image)
        // Every masked pixel is regenerated: it equals the decoded (flat-block) colour. Tokens whose
        // cell is only partly generated are `missing` in the returned grid (a blend is not a token).
        var complete = result.tokens
        for i in complete.tokens.indices where complete.tokens[i] == TokenGrid.missing { complete.tokens[i] = 0 }
        let decoded = try FakeTokenizer().decode(complete)
        for y in 0..<32 { for x in 0..<32 where mask.isMasked(x: x, y: y) && result.tokens[y / 4, x / 4] != TokenGrid.missing {
            XCTAssertEqual(result.image.pixels[(y * 32 + x) * 4], PixelBuffer.byte(decoded.samples[(y * 32 + x) * 3]))
        } }
        // Hard edge: radius 0 changes only pixels of regenerated tokens.
        var hard = edit
        hard.region.featherRadius = 0
        assertUnchangedOutsideBand(input, try editor.apply(hard), mask: mask)
    }

    func testTokenMaskPolicies() throws {
        let input = testImage(width: 32, height: 32)
        let mask = PixelMask(width: 32, height: 32, rectangles: [PixelRect(x: 5, y: 5, width: 7, height: 3)])
        func masked(_ policy: TokenMaskPolicy) throws -> [Int] {
            let r = try editor.apply(InpaintEdit(image: input, mask: mask, condition: .classLabel(0), policy: policy, seed: 1))
            return r.windows[0].tokenMask.indices.filter { r.windows[0].tokenMask[$0] }
        }
        // Pixels x 5...11, y 5...7 → token columns 1, 2, row 1.
        XCTAssertEqual(try masked(.anyOverlap), [9, 10])
        // Official: rows max(0, 1 − 1) ..< min(8, 1 + 0 + 1) = 0..<2, columns 0 ..< 1 + 1 + 1 = 0..<3.
        XCTAssertEqual(try masked(.officialBoundingBox), [0, 1, 2, 8, 9, 10])
        // Coverage: column 1 has 9/16 masked pixels, column 2 has 12/16.
        XCTAssertEqual(try masked(.coverage(0.6)), [10])
        XCTAssertEqual(try masked(.coverage(0.5)), [9, 10])
    }

    func testClassEditUsesStartTwoAndDilatedRegion() throws {
        let input = testImage(width: 32, height: 32)
        var firstStep: DecodingProgress?
        let result = try editor.apply(ClassEdit(image: input, box: PixelRect(x: 12, y: 12, width: 8, height: 8),
                                                targetClass: 7, seed: 3)) { p in
            if firstStep == nil { firstStep = p.decoding }
            return true
        }
        XCTAssertEqual(firstStep?.stepIndex, 2)
        XCTAssertEqual(firstStep?.totalSteps, 10)
        // Box rows 12..<20 → token rows 3...4, dilated: max(0, 3 − 1) ..< min(8, 3 + 2 + 1) = 2..<6.
        var expected = [Bool](repeating: false, count: 64)
        for r in 2..<6 { for c in 2..<6 { expected[r * 8 + c] = true } }
        XCTAssertEqual(result.windows[0].tokenMask, expected)
        assertUnchangedOutsideBand(input, result, mask: PixelMask(width: 32, height: 32,
                                                                 rectangles: [PixelRect(x: 12, y: 12, width: 8, height: 8)]))
    }

    func testLargeImageUsesAlignedWindowAndCache() throws {
        let input = testImage(width: 101, height: 90)
        let mask = randomMask(width: 101, height: 90, seed: 2, centre: (70, 60), radius: 6)
        let counter = EncodeCounter()
        let counting = try ImageEditor(tokenizer: CountingTokenizer(counter: counter), predictor: FakePredictor())
        // Hard-edged token composite: every token of the window stays exact, so the cache is complete.
        let first = try counting.apply(InpaintEdit(image: input, mask: mask, condition: .classLabel(1), featherRadius: 0,
                                                   composite: .tokens, seed: 9))
        XCTAssertEqual(counter.calls, 1)
        let w = first.windows[0]
        XCTAssertEqual(w.scale, 1)
        XCTAssertEqual([w.width, w.height], [32, 32])
        XCTAssertEqual(w.x % 4, 0)
        XCTAssertEqual(w.y % 4, 0)
        XCTAssertTrue(w.x <= 64 && w.x + 32 >= 77 && w.y <= 54 && w.y + 32 >= 67, "window \(w) holds the mask")
        XCTAssertEqual(first.image.width, 101)
        XCTAssertEqual(first.tokens.shape, GridShape(height: 23, width: 26))
        assertUnchangedOutsideBand(input, first, mask: mask)
        // The returned grid holds the window's tokens; a second edit in the same place encodes nothing.
        XCTAssertFalse(first.tokens.crop(row: w.y / 4, column: w.x / 4, shape: GridShape(height: 8, width: 8)).tokens
            .contains(TokenGrid.missing))
        let second = try counting.apply(InpaintEdit(image: first.image, mask: mask, condition: .classLabel(1), seed: 10,
                                                    knownTokens: first.tokens))
        XCTAssertEqual(counter.calls, 1, "cached tokens are not re-encoded")
        XCTAssertEqual(second.windows[0].x, w.x)
        // A wrong cache shape is rejected.
        XCTAssertThrowsError(try counting.apply(InpaintEdit(image: input, mask: mask, condition: .classLabel(1),
                                                            knownTokens: TokenGrid(width: 3, height: 3))))
    }

    func testLargeRegionIsDownscaled() throws {
        let input = testImage(width: 120, height: 100, layout: .rgba)
        let mask = PixelMask(width: 120, height: 100, rectangles: [PixelRect(x: 10, y: 20, width: 90, height: 50)])
        let result = try editor.apply(InpaintEdit(image: input, mask: mask, condition: .classLabel(4), seed: 5))
        let w = result.windows[0]
        XCTAssertLessThan(w.scale, 1)
        XCTAssertTrue(w.x <= 10 && w.x + w.width >= 100 && w.y <= 20 && w.y + w.height >= 70, "window \(w) holds the region")
        XCTAssertEqual(result.image.width, 120)
        XCTAssertEqual(result.image.height, 100)
        assertUnchangedOutsideBand(input, result, mask: mask)
        for p in 0..<(120 * 100) { XCTAssertEqual(result.image.pixels[p * 4 + 3], input.pixels[p * 4 + 3]) }
        // Tokens under changed pixels are no longer known.
        XCTAssertEqual(result.tokens[10, 10], TokenGrid.missing)
    }

    func testSmallOddImageIsPadded() throws {
        let input = testImage(width: 21, height: 13, layout: .rgba)
        let mask = PixelMask(width: 21, height: 13, rectangles: [PixelRect(x: 15, y: 9, width: 6, height: 4)])
        let result = try editor.apply(InpaintEdit(image: input, mask: mask, condition: .classLabel(0), seed: 2))
        XCTAssertEqual([result.image.width, result.image.height], [21, 13])
        XCTAssertEqual(result.windows[0].x, 0)
        XCTAssertEqual(result.windows[0].y, 0)
        XCTAssertEqual(result.tokens.shape, GridShape(height: 4, width: 6))
        assertUnchangedOutsideBand(input, result, mask: mask)
    }

    func testOutpaintPanorama() throws {
        let input = testImage(width: 32, height: 32)
        let edit = OutpaintEdit(image: input, margins: EdgeInsets(right: 64), condition: .classLabel(5), seed: 11)
        var windowsSeen = Set<Int>()
        let result = try editor.apply(edit) { p in windowsSeen.insert(p.window); return true }
        XCTAssertEqual([result.image.width, result.image.height], [96, 32])
        XCTAssertEqual(result.windows.map(\.x), [24, 44, 64], "area plan: columns 6, 11, 16, two columns of the original in view")
        XCTAssertEqual(windowsSeen.count, 3)
        for y in 0..<32 { for x in 0..<32 {
            XCTAssertEqual(result.image.pixels[(y * 96 + x) * 3], input.pixels[(y * 32 + x) * 3])
        } }
        // No constant-colour column in the generated part.
        for x in 32..<96 {
            let column = (0..<32).map { y in result.image.pixels[(y * 96 + x) * 3..<(y * 96 + x) * 3 + 3].map { $0 } }
            XCTAssertGreaterThan(Set(column).count, 1, "column \(x) is one flat colour")
        }
        // Only the original's tokens the windows see (columns 6 and 7) were encoded; the rest is unknown.
        for r in 0..<8 { for c in 0..<24 { XCTAssertEqual(result.tokens[r, c] == TokenGrid.missing, c < 6) } }
        XCTAssertEqual(try editor.apply(edit).image, result.image, "same seed, same bytes")
    }

    func testOutpaintAllSidesRGBAWithCache() throws {
        let input = testImage(width: 30, height: 26, layout: .rgba)
        let known = try FakeTokenizer().encode(PixelBuffer(input).crop(x: 0, y: 0, width: 32, height: 28))
        let counter = EncodeCounter()
        let counting = try ImageEditor(tokenizer: CountingTokenizer(counter: counter), predictor: FakePredictor())
        let result = try counting.apply(OutpaintEdit(image: input, margins: EdgeInsets(left: 8, top: 4, right: 7, bottom: 21),
                                                     condition: .classLabel(1), seed: 4, knownTokens: known))
        XCTAssertEqual(counter.calls, 0, "cached tokens used (left and top are multiples of S)")
        XCTAssertEqual([result.image.width, result.image.height], [45, 51])
        for y in 0..<51 { for x in 0..<45 {
            let p = (y * 45 + x) * 4
            if x >= 8, x < 38, y >= 4, y < 30 {
                let q = ((y - 4) * 30 + x - 8) * 4
                XCTAssertEqual(Array(result.image.pixels[p..<p + 4]), Array(input.pixels[q..<q + 4]))
            } else {
                XCTAssertEqual(result.image.pixels[p + 3], 255)
            }
        } }
        XCTAssertEqual(result.tokens.shape, GridShape(height: 13, width: 12))
        // Without the cache the same tokens are encoded once.
        let uncached = try counting.apply(OutpaintEdit(image: input, margins: EdgeInsets(left: 8, top: 4, right: 7, bottom: 21),
                                                       condition: .classLabel(1), seed: 4))
        XCTAssertEqual(counter.calls, 1)
        _ = uncached
    }

    func testOutpaintPlanCoversCanvas() {
        var known = [Bool](repeating: false, count: 8 * 40)
        for r in 0..<8 { for c in 16..<24 { known[r * 40 + c] = true } }
        let plan = OutpaintEdit.plan(canvas: GridShape(height: 8, width: 40), window: GridShape(height: 8, width: 8),
                                     stride: 4, known: known)
        // Grows outwards from the original, each window half known; ties in raster order (left first).
        XCTAssertEqual(plan.map(\.column), [12, 8, 4, 0, 20, 24, 28, 32])
    }

    func testCancellationAndErrors() {
        let input = testImage(width: 32, height: 32)
        let mask = PixelMask(width: 32, height: 32, rectangles: [PixelRect(x: 0, y: 0, width: 8, height: 8)])
        XCTAssertThrowsError(try editor.apply(InpaintEdit(image: input, mask: mask, condition: .classLabel(0))) { _ in false }) {
            XCTAssertEqual($0 as? EditingError, .cancelled)
        }
        XCTAssertThrowsError(try editor.apply(InpaintEdit(image: input, mask: PixelMask(width: 32, height: 32),
                                                          condition: .classLabel(0)))) {
            XCTAssertEqual($0 as? EditingError, .emptyMask)
        }
        XCTAssertThrowsError(try editor.apply(InpaintEdit(image: input, mask: PixelMask(width: 8, height: 8),
                                                          condition: .classLabel(0))))
        XCTAssertThrowsError(try ImageEditor(tokenizer: FakeTokenizer(nativeSize: 64), predictor: FakePredictor()))
    }

    func testMaskConstructors() {
        var rgba = RGBImage(width: 2, height: 1, layout: .rgba)
        rgba.pixels = [255, 255, 255, 0, 0, 0, 0, 255]
        XCTAssertEqual(PixelMask(luminanceOf: rgba).values, [1, 0])
        XCTAssertEqual(PixelMask(alphaOf: rgba)?.values, [0, 1])
        XCTAssertNil(PixelMask(alphaOf: RGBImage(width: 2, height: 1, layout: .rgb)))
        XCTAssertEqual(PixelMask(width: 2, height: 1, bytes: [128, 10])?.maskedCount, 1)
        XCTAssertEqual(PixelMask(width: 4, height: 4, rectangles: [PixelRect(x: 1, y: 2, width: 9, height: 9)]).boundingBox,
                       PixelRect(x: 1, y: 2, width: 3, height: 2))
    }
}
