// Matrix products: hand cases, and Ops vs Reference on random shapes.

import XCTest
@testable import Tensors

final class LinearTests: XCTestCase {
    /// Relative tolerance of float32 GEMM vs a Double naive sum for K up to a few hundred.
    let tolerance: Float = 1e-5

    func testMatmulHandComputed() {
        // [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]], plus bias [1,-1].
        let a = Tensor(shape: [2, 2], storage: [1, 2, 3, 4])
        let b = Tensor(shape: [2, 2], storage: [5, 6, 7, 8])
        XCTAssertEqual(Ops.matmul(a, b).storage, [19, 22, 43, 50])
        XCTAssertEqual(Ops.matmul(a, b, bias: Tensor(shape: [2], storage: [1, -1])).storage, [20, 21, 44, 49])
        // Transposing B of [[5,7],[6,8]] gives the same product.
        XCTAssertEqual(Ops.matmul(a, Tensor(shape: [2, 2], storage: [5, 7, 6, 8]), transposeB: true).storage,
                       [19, 22, 43, 50])
    }

    func testMatmulEmptyContractionIsBias() {
        // K = 0: the sum is empty, so the result is the bias row.
        let a = Tensor(zeros: [3, 0]), b = Tensor(zeros: [0, 2])
        XCTAssertEqual(Ops.matmul(a, b, bias: Tensor(shape: [2], storage: [7, 8])).storage, [7, 8, 7, 8, 7, 8])
        XCTAssertEqual(Ops.matmul(a, b).storage, [0, 0, 0, 0, 0, 0])
    }

    func testMatmulMatchesReferenceOnRandomShapes() {
        var rng = SeededGenerator(seed: 1)
        for (m, k, n) in [(1, 1, 1), (3, 5, 7), (17, 13, 9), (64, 257, 33), (5, 768, 11), (200, 48, 257)] {
            for transposeB in [false, true] {
                for withBias in [false, true] {
                    let a = Tensor.random([m, k], using: &rng)
                    let b = Tensor.random(transposeB ? [n, k] : [k, n], using: &rng)
                    let bias = withBias ? Tensor.random([n], using: &rng) : nil
                    assertClose(Ops.matmul(a, b, transposeB: transposeB, bias: bias),
                                Reference.matmul(a, b, transposeB: transposeB, bias: bias),
                                relative: tolerance, "matmul \(m)x\(k)x\(n) tB=\(transposeB) bias=\(withBias)")
                }
            }
        }
    }

    func testMatmulFlattensLeadingAxes() {
        // a [2, 3, K] is treated as [6, K]; the result keeps the leading axes.
        var rng = SeededGenerator(seed: 2)
        let a = Tensor.random([2, 3, 5], using: &rng), b = Tensor.random([5, 4], using: &rng)
        let c = Ops.matmul(a, b)
        XCTAssertEqual(c.shape, [2, 3, 4])
        assertClose(c, Reference.matmul(a, b), relative: tolerance, "rank-3 matmul")
    }

    func testMatmulIntoAndAccumulate() {
        var rng = SeededGenerator(seed: 3)
        let a = Tensor.random([9, 31], using: &rng), b = Tensor.random([31, 6], using: &rng)
        let start = Tensor.random([9, 6], using: &rng)
        var c = start
        Ops.matmul(a, b, into: &c)  // overwrite: the old contents do not matter
        assertClose(c, Reference.matmul(a, b), relative: tolerance, "matmul into")
        c = start
        Ops.matmul(a, b, into: &c, accumulate: true)  // beta = 1: start + a·b
        assertClose(c, Reference.add(start, Reference.matmul(a, b)), relative: tolerance, "matmul accumulate")
    }

    func testBatchedMatmulMatchesReference() {
        var rng = SeededGenerator(seed: 4)
        for transposeB in [false, true] {
            let a = Tensor.random([3, 7, 48], using: &rng)
            let b = Tensor.random(transposeB ? [3, 9, 48] : [3, 48, 9], using: &rng)
            assertClose(Ops.batchedMatmul(a, b, transposeB: transposeB),
                        Reference.batchedMatmul(a, b, transposeB: transposeB),
                        relative: tolerance, "batchedMatmul tB=\(transposeB)")
        }
    }

    func testPermutedAndTransposed() {
        // [[1,2,3],[4,5,6]]ᵀ = [[1,4],[2,5],[3,6]].
        let m = Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(m.transposed(), Tensor(shape: [3, 2], storage: [1, 4, 2, 5, 3, 6]))
        // [T=2, Hh=3, D=2] → [Hh, T, D]: element (t, h, d) moves to (h, t, d).
        let x = Tensor(shape: [2, 3, 2], storage: (0..<12).map(Float.init))
        let y = x.permuted([1, 0, 2])
        XCTAssertEqual(y.shape, [3, 2, 2])
        for t in 0..<2 { for h in 0..<3 { for d in 0..<2 {
            XCTAssertEqual(y.storage[(h * 2 + t) * 2 + d], x.storage[(t * 3 + h) * 2 + d])
        } } }
        XCTAssertEqual(y.permuted([1, 0, 2]), x)  // swapping twice is the identity
    }

    func testBLASConfigurationIsFixedOnce() {
        let first = BLAS.configure(threads: 1)  // may already be fixed by an earlier test
        XCTAssertGreaterThanOrEqual(first, 1)
        XCTAssertTrue(BLAS.isConfigured)
        XCTAssertEqual(BLAS.configure(threads: first + 5), first)  // later calls change nothing
        XCTAssertEqual(BLAS.threads, first)
        XCTAssertGreaterThanOrEqual(BLAS.defaultThreadCount(), 1)
    }
}
