// The promise of Protocol/README.md ("Untouched pixels"): every pixel whose Chebyshev distance to
// the composite region exceeds the result's `band` (⌈3σ⌉) keeps its input bytes exactly, alpha
// included, for every edit, image size (aligned or not), layout, feather and window scale.
// The region is the pixel mask for composite .mask and the regenerated token cells for .tokens
// and .official.

import XCTest
import ImageCodecs
@testable import Editing

final class UntouchedPixelsTests: XCTestCase {
    let editor = try! ImageEditor(tokenizer: FakeTokenizer(), predictor: FakePredictor())

    /// `region` dilated by a (2·reach + 1)² square: true where the Chebyshev distance to the
    /// region is at most `reach`.
    func dilated(_ region: [Bool], width: Int, height: Int, reach: Int) -> [Bool] {
        func pass(_ field: [Bool], count: Int, stride: Int, lines: Int, lineStride: Int) -> [Bool] {
            var out = [Bool](repeating: false, count: field.count)
            for line in 0..<lines {
                var prefix = [Int](repeating: 0, count: count + 1)
                for i in 0..<count { prefix[i + 1] = prefix[i] + (field[line * lineStride + i * stride] ? 1 : 0) }
                for i in 0..<count {
                    let lo = max(0, i - reach), hi = min(count, i + reach + 1)
                    out[line * lineStride + i * stride] = prefix[hi] - prefix[lo] > 0
                }
            }
            return out
        }
        let rows = pass(region, count: width, stride: 1, lines: height, lineStride: width)
        return pass(rows, count: height, stride: width, lines: width, lineStride: 1)
    }

    /// The image pixels of regenerated token cells, mapped as the composite maps them.
    func regeneratedPixels(_ result: EditResult, width: Int, height: Int) -> [Bool] {
        var region = [Bool](repeating: false, count: width * height)
        let s = editor.stride
        for w in result.windows {
            for r in 0..<w.height where w.y + r >= 0 && w.y + r < height {
                let tr = min(w.gridShape.height - 1, Int(Double(r) * w.scale) / s)
                for c in 0..<w.width where w.x + c >= 0 && w.x + c < width {
                    let tc = min(w.gridShape.width - 1, Int(Double(c) * w.scale) / s)
                    if w.tokenMask[tr * w.gridShape.width + tc] { region[(w.y + r) * width + w.x + c] = true }
                }
            }
        }
        return region
    }

    /// Counts pixels changed beyond the band (must be 0) and inside it (must be > 0), and
    /// checks alpha everywhere.
    func check(_ input: RGBImage, _ mask: PixelMask, _ result: EditResult, composite: CompositeRegion,
               _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        let w = input.width, h = input.height, ch = input.channels
        XCTAssertEqual(result.image.width, w, context, file: file, line: line)
        XCTAssertEqual(result.image.layout, input.layout, context, file: file, line: line)
        if composite != .official {   // .official: the official weight's reach (OfficialComposite.reach)
            XCTAssertEqual(result.band, Compositing.support(radius: result.featherRadius), context, file: file, line: line)
        }
        let region = composite == .mask
            ? mask.values.map { $0 >= 0.5 } : regeneratedPixels(result, width: w, height: h)
        let allowed = dilated(region, width: w, height: h, reach: result.band)
        var outside = 0, inside = 0, farthest = 0
        for p in 0..<(w * h) {
            let changed = (0..<ch).contains { input.pixels[p * ch + $0] != result.image.pixels[p * ch + $0] }
            if ch == 4 { XCTAssertEqual(input.pixels[p * 4 + 3], result.image.pixels[p * 4 + 3], "alpha", file: file, line: line) }
            guard changed else { continue }
            if allowed[p] { inside += 1 } else { outside += 1; farthest = max(farthest, p) }
        }
        XCTAssertEqual(outside, 0, "\(context): \(outside) pixels changed beyond band \(result.band)", file: file, line: line)
        XCTAssertGreaterThan(inside, 0, "\(context): nothing changed", file: file, line: line)
    }

    func blob(width: Int, height: Int, centre: (Int, Int), radius: Int, seed: UInt64) -> PixelMask {
        var mask = PixelMask(width: width, height: height)
        let source = RandomSource(seed: seed)
        for y in 0..<height {
            for x in 0..<width {
                let dx = x - centre.0, dy = y - centre.1
                if dx * dx + dy * dy <= radius * radius, source.uniform(at: y * width + x) < 0.8 { mask.values[y * width + x] = 1 }
            }
        }
        return mask
    }

    func testInpaintAndClassEditOnAlignedUnalignedAndLargeImages() throws {
        // (width, height, feathers, layouts); testWideFeather has the 12.5.
        let sizes: [(Int, Int, [Float?], [RGBImage.Layout])] = [
            (32, 32, [nil, 0, 0.7, 2.5], [.rgb, .rgba]),
            (157, 93, [nil, 2.5], [.rgba]),
            (301, 217, [2.5], [.rgba]),
        ]
        for (index, (w, h, feathers, layouts)) in sizes.enumerated() {
            for layout in layouts {
                let input = testImage(width: w, height: h, layout: layout, seed: UInt64(index + 3))
                let masks: [(String, PixelMask)] = [
                    ("1x1", PixelMask(width: w, height: h, rectangles: [PixelRect(x: w / 2 + 1, y: h / 3 + 3, width: 1, height: 1)])),
                    ("5x7", PixelMask(width: w, height: h, rectangles: [PixelRect(x: w / 3 + 1, y: h / 2 - 3, width: 5, height: 7)])),
                    ("13x9 edge", PixelMask(width: w, height: h, rectangles: [PixelRect(x: w - 13, y: h - 9, width: 13, height: 9)])),
                    ("blob", blob(width: w, height: h, centre: (w / 2 + 3, h / 2 - 1), radius: min(w, h) / 5, seed: 9)),
                    ("downscaled", PixelMask(width: w, height: h, rectangles: [PixelRect(x: 3, y: 5, width: w * 3 / 4 + 1, height: h * 2 / 3 + 1)])),
                ]
                for (name, mask) in masks where w < 300 || ["5x7", "13x9 edge", "downscaled"].contains(name) {
                    for feather in feathers {
                        for composite in CompositeRegion.allCases {
                            let context = "\(w)x\(h) \(layout) \(name) feather \(String(describing: feather)) \(composite)"
                            let inpaint = try editor.apply(InpaintEdit(
                                image: input, mask: mask, condition: .classLabel(2), featherRadius: feather,
                                composite: composite, seed: 17))
                            check(input, mask, inpaint, composite: composite, "inpaint " + context)
                            if name == "downscaled", w > 32 {
                                XCTAssertLessThan(inpaint.windows[0].scale, 1, context)
                            }
                        }
                    }
                }
                // Class edit (composite .tokens by default in the server; both here).
                let mask = masks[2].1
                for composite in CompositeRegion.allCases {
                    let edit = try editor.apply(ClassEdit(image: input, region: mask, targetClass: 5, composite: composite, seed: 4))
                    check(input, mask, edit, composite: composite, "classEdit \(w)x\(h) \(layout) \(composite)")
                }
            }
        }
    }

    /// tokenizerContext decodes only a crop of the window's grid. The fake tokenizer decodes each
    /// cell on its own, so a crop decode equals the whole-window decode on the crop: the results
    /// must be byte-identical, which fails if the composite ever uses a pixel outside the crop
    /// (those are 0). Aligned, unaligned, downscaled windows, every policy and composite but the
    /// official one (which ignores the option).
    func testDecoderContextCropGivesTheWholeWindowResultWithACellwiseDecoder() throws {
        for (w, h) in [(32, 32), (157, 93)] {
            let input = testImage(width: w, height: h, layout: .rgba, seed: 5)
            let masks: [PixelMask] = [
                PixelMask(width: w, height: h, rectangles: [PixelRect(x: w / 2 + 1, y: h / 3 + 3, width: 1, height: 1)]),
                PixelMask(width: w, height: h, rectangles: [PixelRect(x: w / 3 + 1, y: h / 2 - 3, width: 5, height: 7)]),
                PixelMask(width: w, height: h, rectangles: [PixelRect(x: w - 13, y: h - 9, width: 13, height: 9)]),
                PixelMask(width: w, height: h, rectangles: [PixelRect(x: 3, y: 5, width: w * 3 / 4 + 1, height: h * 2 / 3 + 1)]),
            ]
            for (k, mask) in masks.enumerated() {
                for composite in [CompositeRegion.mask, .tokens] {
                    for policy in [TokenMaskPolicy.anyOverlap, .coverage(0.6)] {
                        for feather: Float? in [nil, 2.5] {
                            var edit = InpaintEdit(image: input, mask: mask, condition: .classLabel(2), policy: policy,
                                                   featherRadius: feather, composite: composite, seed: 17)
                            let whole = try editor.apply(edit)
                            for context in [0, 1] {
                                edit.region.tokenizerContext = context
                                let cropped = try editor.apply(edit)
                                let label = "\(w)x\(h) mask \(k) \(composite) \(policy) feather \(String(describing: feather)) context \(context)"
                                let differing = zip(cropped.image.pixels, whole.image.pixels).filter { $0 != $1 }.count
                                XCTAssertEqual(differing, 0, "bytes differing from the whole-window decode: " + label)
                                XCTAssertTrue(cropped.tokens == whole.tokens, label)
                            }
                        }
                    }
                }
            }
        }
        // The encoder crop: a second edit on the first's result, whose cache lacks the cells the
        // feathered composite blended, encodes only those cells (plus context) and gives what the
        // whole-window encode gives.
        // (A 32 px image is one native window, as a 256 px image is for the official models.)
        let input = testImage(width: 32, height: 32, seed: 8)
        let first = try editor.apply(InpaintEdit(image: input, mask: PixelMask(width: 32, height: 32, rectangles: [PixelRect(x: 17, y: 15, width: 9, height: 7)]),
                                                 condition: .classLabel(1), featherRadius: 1, seed: 3))
        XCTAssertTrue(first.tokens.tokens.contains(TokenGrid.missing), "the feather left blended cells")
        var second = InpaintEdit(image: first.image, mask: PixelMask(width: 32, height: 32, rectangles: [PixelRect(x: 4, y: 3, width: 5, height: 5)]),
                                 condition: .classLabel(1), featherRadius: 1, seed: 4, knownTokens: first.tokens)
        let sizes = EncodeSizes()
        let recording = try ImageEditor(tokenizer: SizeRecordingTokenizer(sizes: sizes), predictor: FakePredictor())
        let wholeSecond = try recording.apply(second)
        XCTAssertEqual(sizes.pixels, [32 * 32])
        second.region.tokenizerContext = 1
        let croppedSecond = try recording.apply(second)
        XCTAssertEqual(sizes.pixels.count, 2)
        XCTAssertLessThan(sizes.pixels.last ?? 0, 32 * 32, "the encoder saw only the missing cells and their context")
        XCTAssertGreaterThan(sizes.pixels.last ?? 0, 0)
        XCTAssertEqual(zip(croppedSecond.image.pixels, wholeSecond.image.pixels).filter { $0 != $1 }.count, 0)
        XCTAssertTrue(croppedSecond.tokens == wholeSecond.tokens)

        let grid = GridShape(height: 8, width: 8)
        var cells = [Bool](repeating: false, count: 64)
        cells[3 * 8 + 4] = true
        XCTAssertEqual(RegionEdit.tokenCrop(cells: cells, grid: grid, context: 1, reachTokens: 0)?.shape, GridShape(height: 3, width: 3))
        XCTAssertEqual(RegionEdit.tokenCrop(cells: cells, grid: grid, context: 0, reachTokens: 2)?.row, 1)
        XCTAssertNil(RegionEdit.tokenCrop(cells: cells, grid: grid, context: 8, reachTokens: 0), "the whole grid: no crop")
        XCTAssertNil(RegionEdit.tokenCrop(cells: [Bool](repeating: false, count: 64), grid: grid, context: 1, reachTokens: 0))
    }

    /// The case: feather 12.5 (band 38) around an unaligned rectangle of a large image.
    func testWideFeather() throws {
        let input = testImage(width: 301, height: 217, layout: .rgb, seed: 5)
        let mask = PixelMask(width: 301, height: 217, rectangles: [PixelRect(x: 141, y: 101, width: 7, height: 5)])
        for composite in CompositeRegion.allCases {
            let result = try editor.apply(InpaintEdit(image: input, mask: mask, condition: .classLabel(3), featherRadius: 12.5,
                                                      composite: composite, seed: 8))
            if composite != .official { XCTAssertEqual(result.band, 38) }
            XCTAssertEqual(result.windows[0].scale, 1)
            check(input, mask, result, composite: composite, "feather 12.5 \(composite)")
        }
    }

    /// Far-apart parts get one native window each instead of one downscaled window over both;
    /// near parts share one window; the band promise holds for the union.
    func testFarApartPartsGetOneWindowEach() throws {
        let input = testImage(width: 157, height: 93, layout: .rgba, seed: 6)
        let far = PixelMask(width: 157, height: 93, rectangles: [PixelRect(x: 5, y: 7, width: 6, height: 5),
                                                                 PixelRect(x: 140, y: 80, width: 9, height: 7)])
        for composite in CompositeRegion.allCases {
            let result = try editor.apply(InpaintEdit(image: input, mask: far, condition: .classLabel(1), featherRadius: 1,
                                                      composite: composite, seed: 3))
            XCTAssertEqual(result.windows.count, 2)
            XCTAssertEqual(result.windows.map(\.scale), [1, 1])
            check(input, far, result, composite: composite, "two far parts \(composite)")
            XCTAssertEqual(try editor.apply(InpaintEdit(image: input, mask: far, condition: .classLabel(1), featherRadius: 1,
                                                        composite: composite, seed: 3)).image, result.image, "deterministic")
        }
        let near = PixelMask(width: 157, height: 93, rectangles: [PixelRect(x: 40, y: 30, width: 3, height: 3),
                                                                  PixelRect(x: 52, y: 36, width: 3, height: 3)])
        XCTAssertEqual(try editor.apply(InpaintEdit(image: input, mask: near, condition: .classLabel(1), seed: 3)).windows.count, 1)
        // Progress names each part's window.
        var seen = Set<Int>()
        _ = try editor.apply(InpaintEdit(image: input, mask: far, condition: .classLabel(1), seed: 3)) { p in
            XCTAssertEqual(p.windowCount, 2)
            seen.insert(p.window)
            return true
        }
        XCTAssertEqual(seen, [0, 1])
    }

    /// A session-like chain: the second edit starts from the first's image and token cache.
    func testEditsOnCachedTokens() throws {
        let input = testImage(width: 157, height: 93, layout: .rgba, seed: 12)
        let first = PixelMask(width: 157, height: 93, rectangles: [PixelRect(x: 21, y: 17, width: 11, height: 6)])
        let a = try editor.apply(InpaintEdit(image: input, mask: first, condition: .classLabel(1), featherRadius: 2.5, seed: 1))
        check(input, first, a, composite: .mask, "first")
        let second = PixelMask(width: 157, height: 93, rectangles: [PixelRect(x: 101, y: 61, width: 9, height: 13)])
        let b = try editor.apply(InpaintEdit(image: a.image, mask: second, condition: .classLabel(1), featherRadius: 2.5,
                                             seed: 2, knownTokens: a.tokens))
        check(a.image, second, b, composite: .mask, "second")
    }

    func testOutpaintKeepsEveryOriginalPixel() throws {
        let input = testImage(width: 37, height: 23, layout: .rgba, seed: 8)
        let result = try editor.apply(OutpaintEdit(image: input, margins: EdgeInsets(left: 5, top: 3, right: 11, bottom: 2),
                                                   condition: .classLabel(1), seed: 3))
        XCTAssertEqual(result.band, 0)
        XCTAssertEqual(result.image.width, 53)
        for y in 0..<23 {
            for x in 0..<37 {
                for k in 0..<4 {
                    XCTAssertEqual(result.image.pixels[((y + 3) * 53 + x + 5) * 4 + k], input.pixels[(y * 37 + x) * 4 + k])
                }
            }
        }
    }
}

final class EncodeSizes: @unchecked Sendable { var pixels: [Int] = [] }

/// The fake tokenizer, recording the pixel count of every encode.
struct SizeRecordingTokenizer: ImageTokenizer {
    var base = FakeTokenizer()
    let sizes: EncodeSizes
    var tokenStride: Int { base.tokenStride }
    var nativeSize: Int { base.nativeSize }
    func encode(_ image: PixelBuffer) throws -> TokenGrid { sizes.pixels.append(image.width * image.height); return try base.encode(image) }
    func decode(_ grid: TokenGrid) throws -> PixelBuffer { try base.decode(grid) }
}
