// VectorMath: a branch-free exp for the element-wise activations (swish, GELU-tanh, softmax).
// libm's expf is an opaque call per element, so loops over it stay scalar; at the official 256
// shape a VQGAN pass evaluates ~10^8 of them, and swish cost as much as a 1x1 convolution.
// This exp is plain arithmetic, so the loops that use it (`apply`) are vectorised by LLVM.
//
// The classic Cephes expf: clamp, n = round(x·log2 e), r = x − n·ln 2 (ln 2 split in two so r
// is exact), a degree-5 polynomial for e^r on |r| ≤ ln2/2, times 2^n built in the exponent
// bits. Error within 2 ulp of the true value (checked against Double exp in the tests). The
// argument is clamped to [−87.3, 88] so results stay finite and normal: exp of a larger x
// gives 1.65e38 instead of +inf and of a smaller x 1.2e−38 instead of a subnormal or 0, which
// changes nothing in x/(1 + e^−x), in GELU's x/(1 + e^−u) or in a softmax whose row maximum is
// subtracted first.

extension Ops {
    /// e^x (see the file comment for range and accuracy).
    @inline(__always)
    static func fastExp(_ input: Float) -> Float {
        var x = input < -87.3 ? -87.3 : input
        x = x > 88 ? 88 : x  // n ≤ 127: 2^n stays a normal float
        // round(x / ln 2) by the 1.5·2^23 trick: plain adds, so no floor call on baseline x86-64
        // (SSE2 has no packed round) and the loop still vectorises.
        let n = (x * 1.442_695_04 + 12_582_912) - 12_582_912
        x = x - n * 0.693_359_375 + n * 2.121_944_4e-4    // x − n·ln 2, ln 2 = C1 − C2
        let x2 = x * x
        var p: Float = 1.987_569_15e-4
        p = p * x + 1.398_199_950_7e-3
        p = p * x + 8.333_451_907_3e-3
        p = p * x + 4.166_579_589_4e-2
        p = p * x + 1.666_666_545_9e-1
        p = p * x + 5.000_000_120_1e-1
        let er = p * x2 + x + 1
        let scale = Float(bitPattern: UInt32(truncatingIfNeeded: (Int32(n) &+ 127) &<< 23))  // 2^n, n in [−126, 128]
        return er * scale
    }

    /// Applies `f` to `count` floats at `p` in one simple loop (vectorisable when `f` is
    /// inlined arithmetic).
    @inline(__always)
    static func apply(_ p: UnsafeMutablePointer<Float>, count: Int, _ f: (Float) -> Float) {
        for i in 0..<count { p[i] = f(p[i]) }
    }
}
