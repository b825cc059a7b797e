// GroupNorm and LayerNorm: hand cases, Ops vs Reference on random shapes, hard statistics.

import XCTest
@testable import Tensors

final class NormalizationTests: XCTestCase {
    /// Relative tolerance (against max(|naive|, 10% of the largest |naive|)) vs the Double twin;
    /// the golden reference (JAX) is compared at 1e-4, so this leaves a 10x margin.
    let tolerance: Float = 1e-5

    func testLayerNormAddingAResidualEqualsAddThenNorm() {
        // The add made in the norm's first pass gives the add-then-norm values bit for bit
        // (C = 37 and 48: a 16-lane body with and without a scalar tail).
        var rng = SeededGenerator(seed: 24)
        for (rows, c) in [(1, 5), (70, 37), (257, 48)] {
            let x = Tensor.random([rows, c], in: -3...3, using: &rng)
            let r = Tensor.random([rows, c], in: -3...3, using: &rng)
            let scale = Tensor.random([c], in: 0.5...1.5, using: &rng)
            let bias = Tensor.random([c], in: -1...1, using: &rng)
            XCTAssertEqual(Ops.layerNorm(x, adding: r, epsilon: 1e-12, scale: scale, bias: bias),
                           Ops.layerNorm(Ops.add(x, r), epsilon: 1e-12, scale: scale, bias: bias), "\(rows)x\(c)")
            XCTAssertNotEqual(Ops.layerNorm(x, adding: r, scale: scale, bias: bias),
                              Ops.layerNorm(x, scale: scale, bias: bias))
        }
    }

    func testGroupNormOfConstantMapIsBias() {
        // A constant group has zero deviation, so the output is the bias whatever the scale.
        let x = Tensor(repeating: 3, shape: [2, 3, 4])
        let y = Ops.groupNorm(x, groups: 2, scale: Tensor(repeating: 5, shape: [4]),
                              bias: Tensor(shape: [4], storage: [1, 2, 3, 4]))
        for p in 0..<6 { XCTAssertEqual(Array(y.storage[(p * 4)..<(p * 4 + 4)]), [1, 2, 3, 4]) }
    }

    func testGroupNormHandComputed() {
        // One group of [1, 3] over a 1x2 map, 1 channel: mean 2, biased variance 1, eps 0 →
        // [−1, 1]; scale 2 and bias 1 give [−1, 3].
        let y = Ops.groupNorm(Tensor(shape: [1, 2, 1], storage: [1, 3]), groups: 1, epsilon: 0,
                              scale: Tensor(shape: [1], storage: [2]), bias: Tensor(shape: [1], storage: [1]))
        XCTAssertEqual(y.storage, [-1, 3])
    }

    func testGroupNormMatchesReferenceOnRandomShapes() {
        var rng = SeededGenerator(seed: 20)
        // (H, W, C, G): odd maps, a single pixel, G = 1, G = C, C not a multiple of 4.
        let cases: [(Int, Int, Int, Int)] = [
            (1, 1, 6, 3), (1, 9, 10, 5), (9, 1, 4, 4), (3, 5, 7, 1), (17, 13, 12, 4), (8, 8, 64, 32), (5, 7, 96, 32),
        ]
        for (h, w, c, g) in cases {
            let x = Tensor.random([h, w, c], in: -3...5, using: &rng)
            let scale = Tensor.random([c], in: 0.5...1.5, using: &rng)
            let bias = Tensor.random([c], using: &rng)
            assertClose(Ops.groupNorm(x, groups: g, epsilon: 1e-6, scale: scale, bias: bias),
                        Reference.groupNorm(x, groups: g, epsilon: 1e-6, scale: scale, bias: bias),
                        relative: tolerance, "groupNorm [\(h),\(w),\(c)] G=\(g)")
        }
    }

    func testGroupNormSwishMatchesReferenceAndTheUnfusedPair() {
        var rng = SeededGenerator(seed: 22)
        // One small map and one split across workers.
        for (h, w, c, g) in [(5, 7, 96, 32), (40, 40, 64, 32)] {
            let x = Tensor.random([h, w, c], in: -3...5, using: &rng)
            let scale = Tensor.random([c], in: 0.5...1.5, using: &rng)
            let bias = Tensor.random([c], using: &rng)
            let fused = Ops.groupNormSwish(x, groups: g, scale: scale, bias: bias)
            assertClose(fused, Reference.groupNormSwish(x, groups: g, scale: scale, bias: bias),
                        relative: tolerance, "groupNormSwish [\(h),\(w),\(c)] G=\(g)")
            // Fusing changes no value: the same formulas in the same order.
            XCTAssertEqual(fused, Ops.swish(Ops.groupNorm(x, groups: g, scale: scale, bias: bias)))
        }
    }

    func testGroupNormLargeMapWithLargeMean() {
        // A mean 1000x the spread: the float32 one-pass formula would lose most digits; ours must
        // still match the Double twin. Large enough (32·32·64) to run on several workers.
        var rng = SeededGenerator(seed: 21)
        let x = Tensor(shape: [32, 32, 64], storage: (0..<(32 * 32 * 64)).map { _ in 1000 + Float.random(in: -1...1, using: &rng) })
        let scale = Tensor.random([64], in: 0.5...1.5, using: &rng), bias = Tensor.random([64], using: &rng)
        // The mean is subtracted as a float32 pair (hi + lo), so its rounding (3e-5 at 1000, on a
        // spread of ~0.6) does not show: the usual tolerance holds.
        assertClose(Ops.groupNorm(x, groups: 32, scale: scale, bias: bias),
                    Reference.groupNorm(x, groups: 32, scale: scale, bias: bias),
                    relative: tolerance, "groupNorm mean 1000")
    }

    func testGroupNormStatisticsKernelEqualsItsNaiveTwin() {
        // The wide C kernel sums each channel row after row in Double, as the naive loop does, so
        // every sum is the same bit for bit; one map is split across workers (partial sums per
        // chunk are added in chunk order, so it is compared with a tolerance instead).
        var rng = SeededGenerator(seed: 24)
        for (p, c) in [(1, 1), (7, 3), (5, 17), (33, 128), (9, 512)] {
            let x = Tensor.random([p, c], in: -3...5, using: &rng)
            let center = (0..<c).map { _ in Double.random(in: -1...2, using: &rng) }
            XCTAssertEqual(Ops.channelSums(x, rows: p, channels: c, center: nil),
                           Reference.channelSums(x, channels: c, center: nil), "sums [\(p),\(c)]")
            XCTAssertEqual(Ops.channelSums(x, rows: p, channels: c, center: center),
                           Reference.channelSums(x, channels: c, center: center), "squares [\(p),\(c)]")
        }
        let x = Tensor.random([4096, 64], in: -3...5, using: &rng)
        let center = [Double](repeating: 1, count: 64)
        for (fast, naive) in zip(Ops.channelSums(x, rows: 4096, channels: 64, center: center),
                                 Reference.channelSums(x, channels: 64, center: center)) {
            XCTAssertEqual(fast, naive, accuracy: 1e-12 * abs(naive))
        }
    }

    func testLayerNormHandComputed() {
        // Row [1, 2, 3]: mean 2, biased variance 2/3, eps 0 → [−√1.5, 0, √1.5].
        let y = Ops.layerNorm(Tensor(shape: [1, 3], storage: [1, 2, 3]), epsilon: 0,
                              scale: Tensor(repeating: 1, shape: [3]), bias: Tensor(zeros: [3]))
        let r = Float(1.5).squareRoot()
        XCTAssertEqual(y.storage[0], -r, accuracy: 1e-6)
        XCTAssertEqual(y.storage[1], 0, accuracy: 1e-6)
        XCTAssertEqual(y.storage[2], r, accuracy: 1e-6)
    }

    func testLayerNormMatchesReferenceWithTinyEpsilon() {
        // The transformer's eps 1e-12, rows of 768 and odd widths, plus offset rows.
        var rng = SeededGenerator(seed: 22)
        for (rows, c, offset) in [(1, 1, Float(0)), (3, 7, 0), (257, 768, 0), (5, 33, 100), (2, 768, -50)] {
            let x = Tensor(shape: [rows, c], storage: (0..<(rows * c)).map { _ in offset + Float.random(in: -2...2, using: &rng) })
            let scale = Tensor.random([c], in: 0.5...1.5, using: &rng), bias = Tensor.random([c], using: &rng)
            assertClose(Ops.layerNorm(x, epsilon: 1e-12, scale: scale, bias: bias),
                        Reference.layerNorm(x, epsilon: 1e-12, scale: scale, bias: bias),
                        relative: tolerance, "layerNorm [\(rows),\(c)] offset \(offset)")
        }
    }

    func testLayerNormOnRank3() {
        // [B, T, C] normalises each last-axis row independently, like [B·T, C].
        var rng = SeededGenerator(seed: 23)
        let x = Tensor.random([2, 3, 5], using: &rng)
        let scale = Tensor.random([5], using: &rng), bias = Tensor.random([5], using: &rng)
        XCTAssertEqual(Ops.layerNorm(x, epsilon: 1e-12, scale: scale, bias: bias).storage,
                       Ops.layerNorm(x.reshaped([6, 5]), epsilon: 1e-12, scale: scale, bias: bias).storage)
    }
}
