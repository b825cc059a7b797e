// The outpaint's area plan and its lockstep decode: coverage, context, window count, batched =
// unbatched, untouched original pixels.

import ImageCodecs
import XCTest
@testable import Editing

/// FakeTokenizer that refuses to decode a grid with `missing` tokens (as the network's adapter does).
struct StrictTokenizer: ImageTokenizer {
    var base = FakeTokenizer()
    var tokenStride: Int { base.tokenStride }
    var nativeSize: Int { base.nativeSize }
    func encode(_ image: PixelBuffer) throws -> TokenGrid { try base.encode(image) }
    func decode(_ grid: TokenGrid) throws -> PixelBuffer {
        if grid.tokens.contains(TokenGrid.missing) { throw EditingError.tokenizerOutput("missing token in a decode") }
        return try base.decode(grid)
    }
}

final class OutpaintPlanTests: XCTestCase {
    let window = GridShape(height: 8, width: 8)

    /// Every new token in some window, every window on the canvas, for many shapes.
    func testAreaPlanCoversEveryNewToken() {
        let source = RandomSource(seed: 77)
        for trial in 0..<300 {
            let u = (0..<6).map { source.child(UInt64(trial)).uint64(at: $0) }
            let w = 1 + Int(u[0] % 90), h = 1 + Int(u[1] % 70)
            let m = (2..<6).map { Int(u[$0] % 4) == 0 ? 0 : Int((u[$0] >> 8) % 100) }
            let margins = EdgeInsets(left: m[0], top: m[1], right: m[2], bottom: m[3])
            let layout = OutpaintEdit.layout(width: w, height: h, margins: margins, tokenStride: 4, window: window)
            let plan = OutpaintEdit.plannedWindows(layout, window: window, stride: nil)
            let canvas = layout.canvas
            var covered = layout.known
            for p in plan {
                XCTAssertTrue(p.row >= 0 && p.column >= 0 && p.row + 8 <= canvas.height && p.column + 8 <= canvas.width,
                              "\(w)x\(h) \(margins): window \(p) off the \(canvas) canvas")
                for r in p.row..<(p.row + 8) { for c in p.column..<(p.column + 8) { covered[r * canvas.width + c] = true } }
            }
            let left = (0..<canvas.count).filter { layout.target[$0] && !covered[$0] }
            XCTAssertTrue(left.isEmpty, "\(w)x\(h) \(margins): tokens \(left.prefix(5)) in no window")
            XCTAssertGreaterThanOrEqual(OutpaintEdit.windowCount(width: w, height: h, margins: margins, tokenStride: 4, window: window,
                                                                 stride: nil), plan.count, "the service's bound")
        }
    }

    /// The bound is exact when the bands cover everything, and counted without the greedy plan
    /// otherwise (nothing known: a 1x1 image).
    func testWindowCountBound() {
        XCTAssertEqual(OutpaintEdit.windowCount(width: 640, height: 360, margins: EdgeInsets(left: 160, right: 160), tokenStride: 8,
                                                window: window, stride: nil), 64)
        XCTAssertEqual(OutpaintEdit.windowCount(width: 1, height: 1, margins: EdgeInsets(left: 4000, top: 4000), tokenStride: 4,
                                                window: window, stride: nil), 250 * 250, "candidate positions every 4 of 1001 tokens")
    }

    /// The 640x360 +160/+160 of the issue at S = 8: 64 windows (the half-stride candidate plan
    /// took 110), each seeing at least a quarter of its tokens (the original's or earlier
    /// windows'), in 8 waves of 8 independent windows.
    func testWideOutpaintUsesFewerWindowsEachWithAQuarterInView() {
        let margins = EdgeInsets(left: 160, right: 160)
        let layout = OutpaintEdit.layout(width: 640, height: 360, margins: margins, tokenStride: 8, window: window)
        let plan = OutpaintEdit.plannedWindows(layout, window: window, stride: nil)
        let candidate = OutpaintEdit.plannedWindows(layout, window: window, stride: OutpaintEdit.defaultStride(window: window))
        XCTAssertEqual(candidate.count, 110)
        XCTAssertEqual(plan.count, 64)
        XCTAssertLessThan(plan.count, candidate.count)
        XCTAssertEqual(OutpaintEdit.waves(plan, window: window).map(\.count), [Int](repeating: 8, count: 8))
        var have = layout.known
        let width = layout.canvas.width
        for p in plan {
            var inView = 0
            for r in p.row..<(p.row + 8) { for c in p.column..<(p.column + 8) where have[r * width + c] { inView += 1 } }
            XCTAssertGreaterThanOrEqual(inView, 16, "window \(p)")
            for r in p.row..<(p.row + 8) { for c in p.column..<(p.column + 8) { have[r * width + c] = true } }
        }
        // Windows of one wave share no token.
        for wave in OutpaintEdit.waves(plan, window: window) {
            for i in wave { for j in wave where i < j {
                XCTAssertFalse(abs(plan[i].row - plan[j].row) < 8 && abs(plan[i].column - plan[j].column) < 8)
            } }
        }
    }

    /// The lockstep decode with batched transformer calls gives the tokens and bytes of the same
    /// plan stepped window by window, in fewer predictor calls.
    func testBatchedAndUnbatchedLockstepGiveIdenticalResults() throws {
        let input = testImage(width: 40, height: 24, seed: 5)
        var options = DecodingOptions.official
        options.guidance = Guidance(weight: 2)
        func run(batched: Bool) throws -> (EditResult, CallCounter) {
            let log = CallCounter()
            let editor = try ImageEditor(tokenizer: FakeTokenizer(),
                                         predictor: CountingPredictor(base: FakePredictor(nullClassID: 74), counter: log))
            let edit = OutpaintEdit(image: input, margins: EdgeInsets(left: 36, top: 6, right: 40), condition: .classLabel(3),
                                    decoding: options, seed: 21, batchWindows: batched)
            return (try editor.apply(edit), log)
        }
        let (batched, batchLog) = try run(batched: true)
        let (single, singleLog) = try run(batched: false)
        XCTAssertEqual(batched.tokens, single.tokens)
        XCTAssertEqual(batched.image, single.image)
        XCTAssertEqual(batched.windows, single.windows)
        XCTAssertEqual(batchLog.singles, 0)
        XCTAssertEqual(singleLog.batches, [])
        XCTAssertEqual(batchLog.batches.reduce(0, +), singleLog.singles, "the same passes")
        XCTAssertLessThan(batchLog.batches.count, singleLog.singles / 2)
        XCTAssertGreaterThan(batchLog.batches.max() ?? 0, 2, "windows were batched, not only the guidance pair")
    }

    /// Progress strictly increases to its fixed total, one report per lockstep step, also when
    /// windows of one group run different step counts (adaptiveSteps).
    func testProgressStrictlyIncreasesWithAdaptiveSteps() throws {
        let editor = try ImageEditor(tokenizer: FakeTokenizer(), predictor: FakePredictor())
        var options = DecodingOptions.official
        options.adaptiveSteps = true
        let edit = OutpaintEdit(image: testImage(width: 40, height: 24), margins: EdgeInsets(left: 36, top: 6, right: 40),
                                condition: .classLabel(3), decoding: options, seed: 2)
        var reports: [EditProgress] = []
        let result = try editor.apply(edit) { reports.append($0); return true }
        let done = reports.map(\.completedSteps)
        XCTAssertEqual(Set(reports.map(\.totalSteps)), [result.windows.count * 12])
        XCTAssertEqual(done.last, result.windows.count * 12)
        XCTAssertTrue(zip(done, done.dropFirst()).allSatisfy { $0 < $1 }, "\(done)")
        XCTAssertGreaterThan(Set(result.windows.compactMap(\.steps)).count, 1, "windows ran different step counts")
        XCTAssertTrue(reports.contains { $0.windowsInStep > 1 })
    }

    /// `stepTogether` equals stepping each session alone (guided and plain, different seeds).
    func testStepTogetherEqualsSeparateSteps() throws {
        let predictor = FakePredictor(nullClassID: 74)
        let mask = predictor.maskTokenID
        var guided = DecodingOptions.official
        guided.guidance = Guidance(weight: 1.5, ramp: .linear)
        let inputs: [([Int32], DecodingOptions, UInt64)] = [
            ((0..<64).map { $0 % 3 == 0 ? Int32($0) : mask }, .official, 1),
            ((0..<64).map { $0 < 16 ? Int32($0) : mask }, guided, 2),
            ([Int32](repeating: mask, count: 64), guided, 3),
        ]
        func sessions() throws -> [DecodingSession] {
            try inputs.map { try DecodingSession(predictor: predictor, tokens: $0.0, condition: .classLabel(2), options: $0.1, seed: $0.2) }
        }
        var together = try sessions()
        while !together.allSatisfy(\.isFinished) { try DecodingSession.stepTogether(&together) }
        var alone = try sessions()
        for i in alone.indices { _ = try alone[i].run() }
        XCTAssertEqual(together.map(\.result), alone.map(\.result))
        XCTAssertFalse(together.contains { $0.result == nil })
    }

    /// Edits of many shapes: complete grids to the decoder, every original byte kept, every
    /// new pixel written.
    func testOutpaintsOfManyShapes() throws {
        let editor = try ImageEditor(tokenizer: StrictTokenizer(), predictor: FakePredictor())
        var options = DecodingOptions.official
        options.steps = 2
        let source = RandomSource(seed: 78)
        for trial in 0..<40 {
            let u = (0..<6).map { source.child(UInt64(trial)).uint64(at: $0) }
            let w = 1 + Int(u[0] % 50), h = 1 + Int(u[1] % 40)
            let m = (2..<6).map { Int(u[$0] % 3) == 0 ? 0 : Int((u[$0] >> 8) % 45) }
            let e = EdgeInsets(left: m[0], top: m[1], right: m[2], bottom: m[3] + (m.allSatisfy { $0 == 0 } ? 1 : 0))
            let input = testImage(width: w, height: h, seed: UInt64(trial))
            let result = try editor.apply(OutpaintEdit(image: input, margins: e, condition: .classLabel(2), decoding: options, seed: 3))
            let ow = w + e.left + e.right, oh = h + e.top + e.bottom
            XCTAssertEqual([result.image.width, result.image.height], [ow, oh])
            for y in 0..<oh { for x in 0..<ow {
                let p = (y * ow + x) * 3
                if x >= e.left, x < e.left + w, y >= e.top, y < e.top + h {
                    let q = ((y - e.top) * w + x - e.left) * 3
                    XCTAssertEqual(Array(result.image.pixels[p..<p + 3]), Array(input.pixels[q..<q + 3]), "\(w)x\(h) \(e) (\(x), \(y))")
                } else {
                    XCTAssertFalse(result.image.pixels[p..<p + 3].contains(255), "\(w)x\(h) \(e) (\(x), \(y)) not generated")
                }
            } }
        }
    }

    /// A wide outpaint on both sides: every original byte kept, every new pixel written.
    func testWideOutpaintKeepsTheOriginalAndWritesEveryNewPixel() throws {
        let editor = try ImageEditor(tokenizer: FakeTokenizer(), predictor: FakePredictor())
        let input = testImage(width: 50, height: 30, layout: .rgba, seed: 9)
        let result = try editor.apply(OutpaintEdit(image: input, margins: EdgeInsets(left: 41, top: 2, right: 37), condition: .classLabel(1), seed: 6))
        let w = 128
        XCTAssertEqual([result.image.width, result.image.height], [w, 32])
        for y in 0..<32 { for x in 0..<w {
            let p = (y * w + x) * 4
            if x >= 41, x < 91, y >= 2 {
                let q = ((y - 2) * 50 + x - 41) * 4
                XCTAssertEqual(Array(result.image.pixels[p..<p + 4]), Array(input.pixels[q..<q + 4]), "(\(x), \(y))")
            } else {
                // The fake decoder paints 32, 96, 159 or 223: 255 would be the unwritten fill.
                XCTAssertFalse(result.image.pixels[p..<p + 3].contains(255), "(\(x), \(y)) not generated")
                XCTAssertEqual(result.image.pixels[p + 3], 255)
            }
        } }
    }
}
