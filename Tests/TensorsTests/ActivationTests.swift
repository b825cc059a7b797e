// GELU, swish, softmax and the element-wise helpers: hand cases and Ops vs Reference.

import Foundation
import XCTest
@testable import Tensors

final class ActivationTests: XCTestCase {
    /// Relative tolerance (against max(|naive|, 10% of the largest |naive|)) vs the Double twins.
    let tolerance: Float = 1e-5

    func testGELUHandValues() {
        // gelu(0) = 0; gelu(1): tanh form 0.8411920, erf form 0.8413447 (jax.nn.gelu values);
        // far out, gelu(x) → x for x ≫ 0 and → 0 for x ≪ 0.
        let x = Tensor(shape: [4], storage: [0, 1, 10, -10])
        let t = Ops.gelu(x, approximation: .tanh).storage
        let e = Ops.gelu(x, approximation: .exact).storage
        XCTAssertEqual(t[0], 0)
        XCTAssertEqual(e[0], 0)
        XCTAssertEqual(t[1], 0.8411920, accuracy: 1e-6)
        XCTAssertEqual(e[1], 0.8413447, accuracy: 1e-6)
        XCTAssertEqual(t[2], 10, accuracy: 1e-5)
        XCTAssertEqual(t[3], 0, accuracy: 1e-5)
        XCTAssertEqual(e[3], 0, accuracy: 1e-5)
    }

    func testMatmulGELUMatchesItsParts() {
        // GELU(A·B + bias) with the bias added in the GELU pass: against the Double twins of the
        // product and the activation; row counts across the parallel split, N not a multiple of 16.
        var rng = SeededGenerator(seed: 23)
        for (m, k, n) in [(1, 3, 5), (17, 8, 33), (257, 24, 70)] {
            let a = Tensor.random([m, k], in: -2...2, using: &rng)
            let b = Tensor.random([k, n], in: -1...1, using: &rng)
            let bias = Tensor.random([n], in: -1...1, using: &rng)
            let fused = Ops.matmulGELU(a, b, prepared: nil, bias: bias)
            XCTAssertEqual(fused.shape, [m, n])
            assertClose(fused, Reference.gelu(Reference.matmul(a, b, bias: bias), approximation: .tanh),
                        relative: tolerance, "matmulGELU \(m)x\(k)x\(n)")
            // The bias really is added (a zero product leaves gelu(bias) in every row).
            let zero = Ops.matmulGELU(Tensor(zeros: [m, k]), b, prepared: nil, bias: bias)
            XCTAssertEqual(Array(zero.storage[0..<n]), Ops.gelu(bias).storage)
        }
    }

    func testSwishHandValues() {
        // swish(0) = 0; swish(x) = x·σ(x) with σ(1) = 0.7310586; no NaN for large |x|.
        let y = Ops.swish(Tensor(shape: [4], storage: [0, 1, 100, -100])).storage
        XCTAssertEqual(y[0], 0)
        XCTAssertEqual(y[1], 0.7310586, accuracy: 1e-6)
        XCTAssertEqual(y[2], 100)
        XCTAssertEqual(y[3], 0, accuracy: 1e-30)
    }

    func testSoftmaxHandCases() {
        // Equal logits give a uniform row; huge logits do not overflow (max is subtracted);
        // [0, ln 3] gives [1/4, 3/4].
        let uniform = Ops.softmax(Tensor(repeating: 7, shape: [2, 4]))
        for v in uniform.storage { XCTAssertEqual(v, 0.25, accuracy: 1e-7) }
        let big = Ops.softmax(Tensor(shape: [1, 2], storage: [1000, 1000]))
        XCTAssertEqual(big.storage, [0.5, 0.5])
        let pair = Ops.softmax(Tensor(shape: [2], storage: [0, log(3)]))
        XCTAssertEqual(pair.storage[0], 0.25, accuracy: 1e-7)
        XCTAssertEqual(pair.storage[1], 0.75, accuracy: 1e-7)
        var inPlace = Tensor(shape: [2], storage: [0, log(3)])
        Ops.softmaxInPlace(&inPlace)
        XCTAssertEqual(inPlace, pair)
    }

    func testActivationsMatchReferenceOnRandomShapes() {
        var rng = SeededGenerator(seed: 30)
        // Include one map large enough to be split across workers.
        for shape in [[1], [7], [3, 5, 3], [257, 1025], [64, 64, 20]] {
            let x = Tensor.random(shape, in: -8...8, using: &rng)
            for approximation in [GELUApproximation.tanh, .exact] {
                assertClose(Ops.gelu(x, approximation: approximation), Reference.gelu(x, approximation: approximation),
                            relative: tolerance, "gelu \(approximation) \(shape)")
            }
            assertClose(Ops.swish(x), Reference.swish(x), relative: tolerance, "swish \(shape)")
            assertClose(Ops.softmax(x), Reference.softmax(x), relative: tolerance, "softmax \(shape)")
            for v in Ops.gelu(x).storage { XCTAssertTrue(v.isFinite) }
        }
    }

    func testElementwiseHelpers() {
        // Hand: [1,2,3,4] + [10,20,30,40]; bias [1,-1] on rows of 2; scale by 0.5.
        let a = Tensor(shape: [2, 2], storage: [1, 2, 3, 4])
        XCTAssertEqual(Ops.add(a, Tensor(shape: [2, 2], storage: [10, 20, 30, 40])).storage, [11, 22, 33, 44])
        XCTAssertEqual(Ops.addBias(a, Tensor(shape: [2], storage: [1, -1])).storage, [2, 1, 4, 3])
        XCTAssertEqual(Ops.scale(a, by: 0.5).storage, [0.5, 1, 1.5, 2])
        // Random, large enough to use several workers: exact equality with the twins.
        var rng = SeededGenerator(seed: 31)
        let x = Tensor.random([65, 33, 37], using: &rng), y = Tensor.random([65, 33, 37], using: &rng)
        let bias = Tensor.random([37], using: &rng)
        XCTAssertEqual(Ops.add(x, y), Reference.add(x, y))
        XCTAssertEqual(Ops.addBias(x, bias), Reference.addBias(x, bias))
        XCTAssertEqual(Ops.scale(x, by: 1.7), Reference.scale(x, by: 1.7))
        var z = x
        Ops.addInPlace(&z, y)
        Ops.addBiasInPlace(&z, bias)
        Ops.scaleInPlace(&z, by: 2)
        XCTAssertEqual(z, Reference.scale(Reference.addBias(Reference.add(x, y), bias), by: 2))
    }
}

/// The branch-free exp behind swish, GELU and softmax against Double exp.
final class FastExpTests: XCTestCase {
    func testFastExpIsWithinTwoULPOnTheClampedRange() {
        var worst: Double = 0, at: Float = 0
        var x: Float = -87
        while x <= 88 {
            let exact = Foundation.exp(Double(x))
            let error = abs(Double(Ops.fastExp(x)) - exact) / Double(Float(exact).ulp)
            if error > worst { worst = error; at = x }
            x += 0.0123
        }
        XCTAssertLessThanOrEqual(worst, 2, "worst error \(worst) ulp at \(at)")
    }

    func testFastExpHandValuesAndClamping() {
        XCTAssertEqual(Ops.fastExp(0), 1)
        XCTAssertEqual(Ops.fastExp(1), 2.7182817, accuracy: 3e-7)
        // Clamped: finite at both ends, so x/(1 + e^−x) stays finite and tends to x or −0.
        XCTAssertTrue(Ops.fastExp(1000).isFinite)
        XCTAssertGreaterThan(Ops.fastExp(-1000), 0)
        XCTAssertLessThan(Ops.fastExp(-1000), 1.3e-38)
    }
}
