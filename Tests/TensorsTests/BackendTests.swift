// Backend: every GEMM / convolution path this machine supports against the naive twins.
//
// Paths: oneDNN fp32 (dnnl_sgemm and the NHWC convolution primitive), oneDNN bf16 (prepared
// weights; only where `Kernels.bf16Supported`), and the forced OpenBLAS / im2col fallback.
// The bf16 paths are compared with the naive twin on bf16-rounded inputs and weights (the same
// arithmetic up to summation order) and, with a looser bound, with plain fp32.

import XCTest
@testable import Tensors

final class BackendTests: XCTestCase {
    private let tolerance: Float = 1e-4

    override func tearDown() {
        Kernels.forceFallback = false
        super.tearDown()
    }

    /// Runs `body` once per backend this machine has, forced through `Kernels.forceFallback`.
    private func forEachBackend(_ body: (String) -> Void) {
        for forced in Kernels.oneDNNAvailable ? [false, true] : [true] {
            Kernels.forceFallback = forced
            body(Kernels.backend.rawValue)
        }
        Kernels.forceFallback = false
    }

    func testBackendSelection() {
        Kernels.forceFallback = true
        XCTAssertEqual(Kernels.backend, .openBLAS)
        Kernels.forceFallback = false
        XCTAssertEqual(Kernels.backend, Kernels.oneDNNAvailable ? .oneDNN : .openBLAS)
        XCTAssertEqual(Kernels.resolve("fp32"), .fp32)
        XCTAssertEqual(Kernels.resolve("auto"), Kernels.nativeBF16 && Kernels.bf16Supported ? .bf16 : .fp32)
        XCTAssertEqual(Kernels.resolve("bf16"), Kernels.bf16Supported ? .bf16 : .fp32)
        XCTAssertNil(Kernels.resolve("int4"))
        if Kernels.nativeBF16 { XCTAssertTrue(Kernels.bf16Supported) }
    }

    func testOpenMPWorkersSleepUnlessTheUserChose() {
        // The test runner is an executable, so DNNLKernels' .preinit_array entry ran before
        // libgomp started: with no policy of the user's it re-executed the runner with
        // OMP_WAIT_POLICY=PASSIVE (and its marker) in the environment; a user's own policy or
        // spin count is kept, and MASKGIT_OMP_WAIT=default leaves libgomp's default.
        let environment = ProcessInfo.processInfo.environment
        let expected: String
        if environment["MASKGIT_OMP_WAIT"] == "engine" {
            expected = "passive"
            XCTAssertEqual(environment["OMP_WAIT_POLICY"], "PASSIVE")
        } else if environment["OMP_WAIT_POLICY"] != nil || environment["GOMP_SPINCOUNT"] != nil {
            expected = "user"
        } else {
            expected = "default"
            XCTAssertNotNil(environment["MASKGIT_OMP_WAIT"], "no opt-out, yet the engine did not set the policy")
        }
        XCTAssertEqual(Kernels.threadWaitPolicy, expected)
        XCTAssertTrue(Kernels.summary.hasSuffix("idle threads \(Kernels.threadWaitPolicy)"))
    }

    func testGEMMOnEveryBackendMatchesReference() {
        var rng = SeededGenerator(seed: 101)
        forEachBackend { name in
            for (m, k, n) in [(1, 1, 1), (3, 5, 7), (17, 13, 9), (64, 257, 33), (257, 96, 130)] {
                for transposeB in [false, true] {
                    let a = Tensor.random([m, k], using: &rng)
                    let b = Tensor.random(transposeB ? [n, k] : [k, n], using: &rng)
                    let bias = Tensor.random([n], using: &rng)
                    assertClose(Ops.matmul(a, b, transposeB: transposeB, bias: bias),
                                Reference.matmul(a, b, transposeB: transposeB, bias: bias),
                                relative: tolerance, "\(name) matmul \(m)x\(k)x\(n) tB=\(transposeB)")
                }
            }
            let q = Tensor.random([33, 64], using: &rng), k = Tensor.random([33, 64], using: &rng)
            let v = Tensor.random([33, 64], using: &rng)
            assertClose(Ops.multiHeadAttention(query: q, key: k, value: v, heads: 4),
                        Reference.multiHeadAttention(query: q, key: k, value: v, heads: 4),
                        relative: tolerance, "\(name) attention")
        }
    }

    func testPreparedConvolutionMatchesReference() throws {
        try XCTSkipUnless(Kernels.oneDNNAvailable, "oneDNN not available here")
        var rng = SeededGenerator(seed: 102)
        // (H, W, Ci, Co, KH, KW): the decoder's 3x3 and 1x1, the 3-channel in/out convs, odd sizes.
        let shapes = [(8, 8, 16, 32, 3, 3), (5, 7, 3, 16, 3, 3), (9, 6, 32, 3, 3, 3),
                      (6, 6, 24, 40, 1, 1), (4, 5, 8, 8, 2, 2), (1, 1, 16, 16, 3, 3)]
        for (h, w, ci, co, kh, kw) in shapes {
            for withBias in [false, true] {
                let x = Tensor.random([h, w, ci], using: &rng)
                let kernel = Tensor.random([kh, kw, ci, co], using: &rng)
                let bias = withBias ? Tensor.random([co], using: &rng) : nil
                let naive = Reference.conv2D(x, kernel: kernel, bias: bias)
                let label = "conv \(h)x\(w)x\(ci)->\(co) k\(kh)x\(kw) bias=\(withBias)"
                let prepared = PreparedConv2D(kernel: kernel, bias: bias, precision: .fp32, heightHint: 3, widthHint: 3)
                assertClose(Ops.conv2D(x, prepared: prepared, kernel: kernel, bias: bias), naive,
                            relative: tolerance, "oneDNN \(label) (prepared: \(prepared != nil))")
                // A second spatial size on the same prepared kernel (a new primitive, maybe a new layout).
                let x2 = Tensor.random([h + 3, w + 1, ci], using: &rng)
                assertClose(Ops.conv2D(x2, prepared: prepared, kernel: kernel, bias: bias),
                            Reference.conv2D(x2, kernel: kernel, bias: bias),
                            relative: tolerance, "oneDNN second size \(label)")
                if let prepared {
                    // The layers keep no plain copy: the kernel read back is the one given.
                    XCTAssertEqual(prepared.kernel(), kernel, "read-back kernel \(label)")
                    Kernels.forceFallback = true
                    assertClose(Ops.conv2D(x, prepared: prepared, bias: bias), naive,
                                relative: tolerance, "fallback from the read-back kernel \(label)")
                    Kernels.forceFallback = false
                }
            }
        }
        // The common 3x3 cases must get a primitive (else the oneDNN path was never tested).
        XCTAssertNotNil(PreparedConv2D(kernel: Tensor.random([3, 3, 16, 32], using: &rng), bias: nil, precision: .fp32))
        XCTAssertNotNil(PreparedConv2D(kernel: Tensor.random([1, 1, 16, 32], using: &rng), bias: nil, precision: .fp32))
    }

    func testBF16RoundingMatchesTheSwiftTwin() {
        var rng = SeededGenerator(seed: 103)
        var values = Tensor.random([4096], in: -1000...1000, using: &rng).storage
        values += [0, -0, 1, -1, 1.00390625, 1.01171875, 1.0078125, Float.greatestFiniteMagnitude,
                   -Float.greatestFiniteMagnitude, .infinity, -.infinity, Float.leastNormalMagnitude,
                   Float.leastNonzeroMagnitude, 3.3895314e38]
        let x = Tensor(shape: [values.count], storage: values)
        let fast = Ops.roundedToBF16(x), naive = Reference.roundedToBF16(x)
        XCTAssertEqual(fast.storage.map(\.bitPattern), naive.storage.map(\.bitPattern))
        // Hand values: 1 + 2^-8 is a tie between 1 and 1 + 2^-7 and goes to even (1);
        // 1 + 3·2^-8 ties between 1 + 2^-7 and 1 + 2^-6 and goes to even (1 + 2^-6).
        XCTAssertEqual(naive.storage[4096 + 4], 1)
        XCTAssertEqual(naive.storage[4096 + 5], 1.015625)
        XCTAssertEqual(naive.storage[4096 + 6], 1.0078125)  // exactly representable
        XCTAssertEqual(naive.storage[4096 + 7], .infinity)  // FLT_MAX rounds up past bf16's max
        XCTAssertTrue(Reference.roundedToBF16(Tensor(shape: [1], storage: [.nan])).storage[0].isNaN)
    }

    func testBF16MatmulMatchesRoundedReference() throws {
        try XCTSkipUnless(Kernels.bf16Supported, "oneDNN has no bf16 matmul on this CPU")
        var rng = SeededGenerator(seed: 104)
        for (m, k, n) in [(1, 8, 8), (17, 64, 48), (257, 96, 130), (5, 768, 11)] {
            for transposeB in [false, true] {
                let a = Tensor.random([m, k], using: &rng)
                let b = Tensor.random(transposeB ? [n, k] : [k, n], using: &rng)
                let bias = Tensor.random([n], using: &rng)
                let prepared = try XCTUnwrap(PreparedMatrix(b, transposeB: transposeB, precision: .bf16, rowsHint: 64))
                XCTAssertGreaterThanOrEqual(prepared.bytes, k * n * 2, "bf16 copy of \(k)x\(n) (blocked, maybe padded)")
                let fast = Ops.matmul(a, b, prepared: prepared, transposeB: transposeB, bias: bias)
                let label = "bf16 matmul \(m)x\(k)x\(n) tB=\(transposeB)"
                // Same arithmetic as the twin on rounded operands (fp32 vs double sums only).
                assertClose(fast, Reference.matmul(Reference.roundedToBF16(a), Reference.roundedToBF16(b),
                                                   transposeB: transposeB, bias: bias),
                            relative: 1e-4, label)
                // Against fp32: each operand moved by <= 2^-9 relative; random signs make the sum's
                // error grow like sqrt(K) while the result does too, so a few percent of the scale.
                assertClose(fast, Reference.matmul(a, b, transposeB: transposeB, bias: bias),
                            relative: 5e-2, "\(label) vs fp32")
                Kernels.forceFallback = true
                assertClose(Ops.matmul(a, b, prepared: prepared, transposeB: transposeB, bias: bias),
                            Reference.matmul(a, b, transposeB: transposeB, bias: bias),
                            relative: tolerance, "fallback \(label) computes fp32")
                Kernels.forceFallback = false
            }
        }
        XCTAssertNil(PreparedMatrix(Tensor(zeros: [4, 4]), precision: .fp32), "fp32 keeps no packed copy")
    }

    func testBF16ConvolutionMatchesRoundedReference() throws {
        try XCTSkipUnless(Kernels.bf16Supported, "oneDNN has no bf16 on this CPU")
        var rng = SeededGenerator(seed: 105)
        for (h, w, ci, co, ks) in [(8, 8, 16, 32, 3), (7, 5, 32, 3, 3), (6, 6, 24, 40, 1)] {
            let x = Tensor.random([h, w, ci], using: &rng)
            let kernel = Tensor.random([ks, ks, ci, co], using: &rng)
            let bias = Tensor.random([co], using: &rng)
            let prepared = try XCTUnwrap(PreparedConv2D(kernel: kernel, bias: bias, precision: .bf16))
            let fast = Ops.conv2D(x, prepared: prepared, bias: bias)
            let label = "bf16 conv \(h)x\(w)x\(ci)->\(co) k\(ks)"
            XCTAssertEqual(prepared.kernel(), Reference.roundedToBF16(kernel), "read-back bf16 kernel")
            assertClose(fast, Reference.conv2D(Reference.roundedToBF16(x), kernel: Reference.roundedToBF16(kernel), bias: bias),
                        relative: 1e-4, label)
            assertClose(fast, Reference.conv2D(x, kernel: kernel, bias: bias), relative: 5e-2, "\(label) vs fp32")
        }
    }
}
