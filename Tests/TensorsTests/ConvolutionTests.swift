// Convolution: hand cases, Ops.conv2D vs Reference.conv2D on random shapes, bounded scratch.

import XCTest
@testable import Tensors

final class ConvolutionTests: XCTestCase {
    /// Relative tolerance (against max(|naive|, 10% of the largest |naive|)) of float32 GEMM
    /// vs a Double naive sum, for KK = KH·KW·Ci up to ~600.
    let tolerance: Float = 1e-5

    func testIdentity1x1IsIdentity() {
        // A 1x1 kernel equal to the identity matrix copies every pixel.
        var rng = SeededGenerator(seed: 10)
        let x = Tensor.random([5, 3, 4], using: &rng)
        var kernel = Tensor(zeros: [1, 1, 4, 4])
        for c in 0..<4 { kernel.storage[c * 4 + c] = 1 }
        XCTAssertEqual(Ops.conv2D(x, kernel: kernel), x)
    }

    func testOnes3x3CountsTapsInsideTheMap() {
        // All-ones input and kernel (Ci = 2): each output counts the in-map taps times Ci:
        // corners 4·2, edges 6·2, interior 9·2; the bias adds 0.5.
        let x = Tensor(repeating: 1, shape: [3, 4, 2])
        let kernel = Tensor(repeating: 1, shape: [3, 3, 2, 1])
        let y = Ops.conv2D(x, kernel: kernel, bias: Tensor(shape: [1], storage: [0.5]))
        XCTAssertEqual(y.shape, [3, 4, 1])
        XCTAssertEqual(y.storage, [8, 12, 12, 8, 12, 18, 18, 12, 8, 12, 12, 8].map { $0 + 0.5 })
    }

    func testShiftKernelMovesTheImage() {
        // A 3x3 kernel with a single 1 at tap (ky=0, kx=1) reads the pixel above: out[y] = in[y−1],
        // and the first row sees the zero padding.
        let x = Tensor(shape: [3, 1, 1], storage: [1, 2, 3])
        var kernel = Tensor(zeros: [3, 3, 1, 1])
        kernel.storage[0 * 3 + 1] = 1
        XCTAssertEqual(Ops.conv2D(x, kernel: kernel).storage, [0, 1, 2])
    }

    func testMatchesReferenceOnRandomShapes() {
        var rng = SeededGenerator(seed: 11)
        // (H, W, Ci, Co, K): odd sizes, lines (H = 1 or W = 1), channels not multiples of 4.
        let cases: [(Int, Int, Int, Int, Int)] = [
            (1, 1, 1, 1, 3), (1, 9, 3, 5, 3), (9, 1, 5, 3, 3), (2, 3, 7, 2, 3), (5, 7, 3, 6, 3),
            (17, 13, 5, 7, 3), (8, 8, 33, 17, 3), (6, 5, 64, 9, 3),
            (1, 1, 3, 2, 1), (4, 7, 13, 6, 1), (17, 13, 9, 5, 1), (1, 9, 6, 3, 1),
            (7, 6, 3, 4, 5), (2, 2, 3, 2, 5),
        ]
        for (h, w, ci, co, k) in cases {
            for withBias in [false, true] {
                let x = Tensor.random([h, w, ci], using: &rng)
                let kernel = Tensor.random([k, k, ci, co], using: &rng)
                let bias = withBias ? Tensor.random([co], using: &rng) : nil
                assertClose(Ops.conv2D(x, kernel: kernel, bias: bias),
                            Reference.conv2D(x, kernel: kernel, bias: bias),
                            relative: tolerance, "conv \(k)x\(k) [\(h),\(w),\(ci)]→\(co) bias=\(withBias)")
            }
        }
    }

    func testRectangularAndEvenKernelsFollowSamePadding() {
        // lax 'SAME' at stride 1 puts (K−1)/2 before and the rest after; the twin uses the same rule.
        var rng = SeededGenerator(seed: 12)
        for (kh, kw) in [(1, 3), (3, 1), (2, 2), (4, 3)] {
            let x = Tensor.random([6, 5, 3], using: &rng)
            let kernel = Tensor.random([kh, kw, 3, 4], using: &rng)
            assertClose(Ops.conv2D(x, kernel: kernel), Reference.conv2D(x, kernel: kernel),
                        relative: tolerance, "conv \(kh)x\(kw)")
        }
    }

    func testScratchStaysBoundedOnALargerMap() {
        // [64, 64, 32] with a 3x3 kernel: a full im2col is 64·64·288 floats (4.7 MB). Capped at
        // 256 KiB, a band holds 3 output rows (3·64·288·4 = 221,184 bytes), so the tiling runs
        // 22 bands, the last one short; the result must still equal the naive convolution.
        var rng = SeededGenerator(seed: 13)
        let limit = 256 << 10
        let x = Tensor.random([64, 64, 32], using: &rng)
        let kernel = Tensor.random([3, 3, 32, 8], using: &rng)
        let bias = Tensor.random([8], using: &rng)
        let plan = Ops.conv2DPlan(inputShape: x.shape, kernelShape: kernel.shape, scratchLimitBytes: limit)
        XCTAssertLessThanOrEqual(plan.scratchBytes, limit)
        XCTAssertEqual(plan.rowsPerBand, 3)  // one output row of col is 64 · 288 · 4 = 73,728 bytes
        XCTAssertEqual(plan.bandCount, 22)
        XCTAssertEqual(plan.bandCount, (64 + plan.rowsPerBand - 1) / plan.rowsPerBand)
        XCTAssertGreaterThan(plan.bandCount, 1)
        assertClose(Ops.conv2D(x, kernel: kernel, bias: bias, scratchLimitBytes: limit),
                    Reference.conv2D(x, kernel: kernel, bias: bias),
                    relative: tolerance, "banded conv [64,64,32]")
    }

    func testOfficialScaleFitsTheDefaultCap() {
        // The official 3x3 conv on [256, 256, 128] would need 302 MB of im2col; the plan caps it.
        let plan = Ops.conv2DPlan(inputShape: [256, 256, 128], kernelShape: [3, 3, 128, 128])
        XCTAssertLessThanOrEqual(plan.scratchBytes, Ops.defaultConvScratchBytes)
        XCTAssertEqual(plan.rowsPerBand, 14)  // 14 · 256 · 1152 · 4 bytes = 15.75 MiB
        XCTAssertEqual(plan.bandCount, 19)
        // 1x1 kernels are one GEMM on the input itself: no scratch.
        let pointwise = Ops.conv2DPlan(inputShape: [256, 256, 128], kernelShape: [1, 1, 128, 128])
        XCTAssertEqual(pointwise.scratchElements, 0)
        XCTAssertEqual(pointwise.bandCount, 1)
    }

    func testOneRowBandWhenARowExceedsTheCap() {
        // A cap smaller than one row still works, one output row per band.
        var rng = SeededGenerator(seed: 14)
        let x = Tensor.random([5, 4, 3], using: &rng), kernel = Tensor.random([3, 3, 3, 2], using: &rng)
        let plan = Ops.conv2DPlan(inputShape: x.shape, kernelShape: kernel.shape, scratchLimitBytes: 16)
        XCTAssertEqual(plan.rowsPerBand, 1)
        XCTAssertEqual(plan.bandCount, 5)
        assertClose(Ops.conv2D(x, kernel: kernel, scratchLimitBytes: 16), Reference.conv2D(x, kernel: kernel),
                    relative: tolerance, "one-row bands")
    }
}
