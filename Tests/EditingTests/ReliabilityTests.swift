import XCTest
import ImageCodecs
@testable import Editing

/// Client-supplied numbers and cancellation (issue 13): rectangles never trap, their union costs
/// O(rectangles + pixels), and a cancel is honoured after a window's last step.
final class ReliabilityTests: XCTestCase {
    let editor = try! ImageEditor(tokenizer: FakeTokenizer(), predictor: FakePredictor())

    /// The union the slow way, clipped, for comparison.
    func naiveUnion(width: Int, height: Int, _ rects: [PixelRect]) -> [Float] {
        var v = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width where rects.contains(where: { r in
                x >= r.x && y >= r.y && x - r.x < r.width && y - r.y < r.height
            }) { v[y * width + x] = 1 }
        }
        return v
    }

    func testRectanglesAtTheEdgesOfIntDoNotTrap() {
        let huge = PixelRect(x: .max, y: 0, width: 1, height: 1)
        XCTAssertEqual(huge.maxX, .max)
        XCTAssertNil(huge.clipped(width: 64, height: 64))
        XCTAssertEqual(PixelRect(x: .min, y: .min, width: 1, height: 1).maxX, .min + 1)
        let covering = PixelRect(x: -5, y: -1, width: Int(Int32.max), height: .max)
        XCTAssertEqual(covering.maxY, .max - 1)
        XCTAssertEqual(PixelRect(x: 0, y: 1, width: 1, height: .max).maxY, .max, "saturated")
        let mask = PixelMask(width: 7, height: 5, rectangles: [huge, covering, PixelRect(x: .max - 1, y: .max - 1, width: 5, height: 5)])
        XCTAssertEqual(mask.maskedCount, 35)
        XCTAssertEqual(PixelMask(width: 7, height: 5, rectangles: [huge]).maskedCount, 0)
    }

    func testRectangleUnionMatchesTheNaiveUnion() {
        let source = RandomSource(seed: 9)
        var rects: [PixelRect] = []
        for i in 0..<200 {
            let u = (0..<4).map { source.uniform(at: i * 4 + $0) }
            rects.append(PixelRect(x: Int(u[0] * 50) - 10, y: Int(u[1] * 40) - 10,
                                   width: 1 + Int(u[2] * 20), height: 1 + Int(u[3] * 20)))
        }
        for count in [1, 2, 7, 200] {
            let subset = Array(rects.prefix(count))
            XCTAssertEqual(PixelMask(width: 37, height: 29, rectangles: subset).values, naiveUnion(width: 37, height: 29, subset), "\(count) rects")
        }
    }

    func testManyFullImageRectanglesCostLikeOne() {
        // 20,000 full-image rectangles over 1024x1024: O(rects + pixels), not 20 G writes.
        let rects = [PixelRect](repeating: PixelRect(x: 0, y: 0, width: 1024, height: 1024), count: 20_000)
        let mask = PixelMask(width: 1024, height: 1024, rectangles: rects)
        XCTAssertEqual(mask.maskedCount, 1024 * 1024)
    }

    func testCancelOnTheLastStepOfAWindowStopsAnOutpaint() {
        // One step per window: the only check of each window comes after its last step. Before
        // the fix every window was decoded anyway and the edit returned a result.
        let input = RGBImage(width: 32, height: 32, layout: .rgb, filledWith: 90)
        var options = DecodingOptions.official
        options.steps = 1
        let edit = OutpaintEdit(image: input, margins: EdgeInsets(right: 64), condition: .classLabel(5), decoding: options, seed: 1)
        var calls = 0
        XCTAssertThrowsError(try editor.apply(edit) { _ in calls += 1; return false }) {
            XCTAssertEqual($0 as? EditingError, .cancelled)
        }
        XCTAssertEqual(calls, 1, "stopped after the first window's (only) step")
        let region = PixelMask(width: 32, height: 32, rectangles: [PixelRect(x: 0, y: 0, width: 8, height: 8)])
        XCTAssertThrowsError(try editor.apply(InpaintEdit(image: input, mask: region, condition: .classLabel(0), decoding: options)) { _ in false }) {
            XCTAssertEqual($0 as? EditingError, .cancelled)
        }
    }
}
