// Average pooling and nearest upsampling: hand cases (including TF 'SAME' odd edges) and twins.

import XCTest
@testable import Tensors

final class PoolingTests: XCTestCase {
    func testAvgPoolOfOneWindow() {
        // The 2x2 window [1, 2, 3, 4] averages to 2.5.
        XCTAssertEqual(Ops.avgPool2x2(Tensor(shape: [2, 2, 1], storage: [1, 2, 3, 4])).storage, [2.5])
    }

    func testAvgPoolOddSizesAverageOnlyValidElements() {
        // 3x3 map 1...9 (row-major) → 2x2: [1,2,4,5] → 3; the right column window [3,6] → 4.5;
        // the bottom row window [7,8] → 7.5; the corner window is [9] alone → 9.
        let x = Tensor(shape: [3, 3, 1], storage: (1...9).map(Float.init))
        let y = Ops.avgPool2x2(x)
        XCTAssertEqual(y.shape, [2, 2, 1])
        XCTAssertEqual(y.storage, [3, 4.5, 7.5, 9])
        // A single pixel stays itself; channels are pooled independently.
        XCTAssertEqual(Ops.avgPool2x2(Tensor(shape: [1, 1, 2], storage: [5, -1])).storage, [5, -1])
    }

    func testUpsampleReplicatesPixels() {
        // [[1, 2]] (1x2, 1 channel) → rows [1,1,2,2] twice.
        let y = Ops.upsampleNearest2x(Tensor(shape: [1, 2, 1], storage: [1, 2]))
        XCTAssertEqual(y.shape, [2, 4, 1])
        XCTAssertEqual(y.storage, [1, 1, 2, 2, 1, 1, 2, 2])
    }

    func testPoolAndUpsampleMatchReferenceOnRandomShapes() {
        var rng = SeededGenerator(seed: 40)
        for (h, w, c) in [(1, 1, 1), (1, 9, 3), (9, 1, 5), (2, 2, 7), (3, 5, 6), (17, 13, 5), (8, 9, 33), (64, 64, 20)] {
            let x = Tensor.random([h, w, c], using: &rng)
            // Sums of at most four terms: 1e-6 relative covers float32 vs Double rounding.
            assertClose(Ops.avgPool2x2(x), Reference.avgPool2x2(x), relative: 1e-6, "avgPool [\(h),\(w),\(c)]")
            XCTAssertEqual(Ops.upsampleNearest2x(x), Reference.upsampleNearest2x(x), "upsample [\(h),\(w),\(c)]")
        }
    }

    func testPoolingUndoesUpsampling() {
        // Each 2x2 window of an upsampled map holds four copies of one pixel.
        var rng = SeededGenerator(seed: 41)
        let x = Tensor.random([5, 3, 4], using: &rng)
        XCTAssertEqual(Ops.avgPool2x2(Ops.upsampleNearest2x(x)), x)
    }
}
