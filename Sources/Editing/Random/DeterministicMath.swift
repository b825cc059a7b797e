// DeterministicMath: log and exp built from IEEE-754 basic operations only, so sampling gives
// the same bits on every platform (libm implementations differ in the last ulp).
//
// Both work in Double and are accurate to a few Double ulps, far below Float resolution.

enum DeterministicMath {
    static let ln2 = 0.693_147_180_559_945_309_417_232_121_458

    /// Natural logarithm for finite x > 0 (x ≤ 0 gives −∞, NaN stays NaN).
    static func log(_ x: Double) -> Double {
        guard x > 0 else { return x == 0 ? -.infinity : .nan }
        guard x.isFinite else { return x }
        // x = m · 2^e with m in [√½, √2).
        var e = Int(x.exponent)
        var m = x.significand  // [1, 2)
        if m > 1.414_213_562_373_095_048_8 {
            m /= 2
            e += 1
        }
        // log m = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.1716: series to s^21.
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var term = s
        var sum = 0.0
        var k = 1.0
        for _ in 0..<11 {
            sum += term / k
            term *= s2
            k += 2
        }
        return 2 * sum + Double(e) * ln2
    }

    /// e^x; underflows to 0 below about −745 and overflows to +∞ above about 709.
    static func exp(_ x: Double) -> Double {
        guard x == x else { return x }
        if x < -745 { return 0 }
        if x > 709.7 { return .infinity }
        // x = k·ln2 + r, |r| ≤ ln2/2; e^r by Taylor to r^14.
        let k = (x / ln2).rounded()
        // Cody–Waite: ln2 split so that k·ln2Hi is exact (fdlibm constants).
        let r = (x - k * 6.931_471_803_691_238_164_90e-01) - k * 1.908_214_929_270_587_700_02e-10
        var term = 1.0
        var sum = 1.0
        for i in 1...14 {
            term *= r / Double(i)
            sum += term
        }
        return scale(sum, byPowerOfTwo: Int(k))
    }

    private static func scale(_ value: Double, byPowerOfTwo k: Int) -> Double {
        // Two steps so that 2^k stays representable near the extremes.
        let half = k / 2
        return value * Double(sign: .plus, exponent: half, significand: 1)
            * Double(sign: .plus, exponent: k - half, significand: 1)
    }
}
