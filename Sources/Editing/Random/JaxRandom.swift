// JaxRandom: JAX's default PRNG (threefry-2x32) as `jax.random` computes it, so that a decode
// can consume the same random numbers as the official JAX code (`rng: "jax"`).
//
//   PRNGKey(seed)   [0, seed mod 2^32] (x64 disabled, the JAX default: the seed is an int32, so
//                   the high word is 0)
//   threefry2x32    Salmon et al. 2011, 20 rounds, rotations (13 15 26 6)(17 29 16 24), key
//                   schedule (k0, k1, k0 ^ k1 ^ 0x1BD11BDA), injection every 4 rounds
//   partitionable   (jax_threefry_partitionable = True, the default since JAX 0.5 and in 0.10):
//                   element i of an n-element draw is threefry(key, (hi32(i), lo32(i))); 32-bit
//                   bits are out0 ^ out1; split(key, m)[j] = threefry(key, (0, j)) as a key.
//   legacy          (False): the counters 0..<n (padded with one 0 to an even count) are cut in
//                   halves x0 | x1; the output is threefry(x0, x1).out0 ++ .out1, so element i
//                   depends on n; split(key, m) takes 2m such words, row-major as m keys.
//   uniform         bits >> 9 | 0x3F800000 as Float − 1 (in [0, 1)), then · (max − min) + min,
//                   at least min
//   gumbel          −log(−log(u)), u = uniform(min: Float.leastNormalMagnitude, max: 1) (the
//                   "low" mode, the default); the logs are rounded once to Float32 here, XLA's
//                   CPU log is within 1 ulp of that (it agrees on about 86% of inputs), see
//                   Tests/EditingTests/JaxRandomTests.swift
//   categorical     argmax_c(gumbel[..., c] + logits[..., c]) over the last axis, first index on
//                   ties
//
// Draws are addressed by flat element index of the array JAX would draw, so callers pass the
// index and the element count n of that array (n only matters in legacy mode).

/// A raw threefry key: JAX's uint32[2] (`jax.random.PRNGKey`, `jax.random.key_data`).
public struct JaxKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public var high: UInt32
    public var low: UInt32

    public init(_ high: UInt32, _ low: UInt32) {
        self.high = high
        self.low = low
    }

    /// `jax.random.PRNGKey(seed)` with jax_enable_x64 off (the default): [0, seed mod 2^32].
    public init(seed: UInt64) {
        self.init(0, UInt32(truncatingIfNeeded: seed))
    }

    public var description: String { "[\(high), \(low)]" }
}

/// `jax_threefry_partitionable`: which layout JAX uses for random bits and splits.
public enum JaxThreefryLayout: String, Sendable, Hashable, Codable, CaseIterable {
    /// True: the default of JAX 0.5 and later (0.10 included); a draw's element i does not
    /// depend on the array's size.
    case partitionable
    /// False: the layout of JAX before 0.5.
    case legacy
}

/// JAX's threefry-2x32 random functions.
public enum JaxRandom {
    /// The threefry-2x32 block function (20 rounds) of `key` on the counter pair (x0, x1).
    @inline(__always)
    public static func threefry(_ key: JaxKey, _ x0: UInt32, _ x1: UInt32) -> (UInt32, UInt32) {
        let ks0 = key.high, ks1 = key.low, ks2 = key.high ^ key.low ^ 0x1BD1_1BDA
        var a = x0 &+ ks0, b = x1 &+ ks1
        @inline(__always) func round(_ rot: UInt32) {
            a = a &+ b
            b = (b << rot) | (b >> (32 - rot))
            b ^= a
        }
        round(13); round(15); round(26); round(6); a = a &+ ks1; b = b &+ ks2 &+ 1
        round(17); round(29); round(16); round(24); a = a &+ ks2; b = b &+ ks0 &+ 2
        round(13); round(15); round(26); round(6); a = a &+ ks0; b = b &+ ks1 &+ 3
        round(17); round(29); round(16); round(24); a = a &+ ks1; b = b &+ ks2 &+ 4
        round(13); round(15); round(26); round(6); a = a &+ ks2; b = b &+ ks0 &+ 5
        return (a, b)
    }

    /// Word i of the legacy `threefry_2x32(key, iota(n))` (n counters, padded to even).
    static func legacyWord(_ key: JaxKey, index i: Int, count n: Int) -> UInt32 {
        let half = (n + 1) / 2
        if i < half {
            let partner = i + half < n ? UInt32(truncatingIfNeeded: i + half) : 0
            return threefry(key, UInt32(truncatingIfNeeded: i), partner).0
        }
        return threefry(key, UInt32(truncatingIfNeeded: i - half), UInt32(truncatingIfNeeded: i)).1
    }

    /// `jax.random.split(key, count)`.
    public static func split(_ key: JaxKey, count: Int = 2, layout: JaxThreefryLayout = .partitionable) -> [JaxKey] {
        switch layout {
        case .partitionable:
            return (0..<count).map { j in
                let (a, b) = threefry(key, 0, UInt32(truncatingIfNeeded: j))
                return JaxKey(a, b)
            }
        case .legacy:
            return (0..<count).map { j in
                JaxKey(legacyWord(key, index: 2 * j, count: 2 * count), legacyWord(key, index: 2 * j + 1, count: 2 * count))
            }
        }
    }

    /// Element `index` of `jax.random.bits(key, shape, uint32)` for a shape of `count` elements.
    @inline(__always)
    public static func bits(_ key: JaxKey, index: Int, count: Int, layout: JaxThreefryLayout = .partitionable) -> UInt32 {
        switch layout {
        case .partitionable:
            let i = UInt64(index)
            let (a, b) = threefry(key, UInt32(truncatingIfNeeded: i >> 32), UInt32(truncatingIfNeeded: i))
            return a ^ b
        case .legacy:
            return legacyWord(key, index: index, count: count)
        }
    }

    /// Element `index` of `jax.random.uniform(key, shape, float32, minval, maxval)`.
    public static func uniform(_ key: JaxKey, index: Int, count: Int, layout: JaxThreefryLayout = .partitionable,
                               minval: Float = 0, maxval: Float = 1) -> Float {
        let word = bits(key, index: index, count: count, layout: layout)
        let unit = Float(bitPattern: (word >> 9) | 0x3F80_0000) - 1
        return max(minval, unit * (maxval - minval) + minval)
    }

    /// Element `index` of `jax.random.gumbel(key, shape, float32)` ("low" mode).
    public static func gumbel(_ key: JaxKey, index: Int, count: Int, layout: JaxThreefryLayout = .partitionable) -> Float {
        let u = uniform(key, index: index, count: count, layout: layout, minval: .leastNormalMagnitude, maxval: 1)
        return -log32(-log32(u))
    }

    /// log in Float32: the natural log in Double (basic operations only, a few Double ulps),
    /// rounded once; −∞ at 0, NaN below.
    @inline(__always)
    public static func log32(_ x: Float) -> Float {
        guard x > 0, x.isFinite else { return x == 0 ? -.infinity : (x == .infinity ? x : .nan) }
        var m = Double(x.significand), e = Double(Int(x.exponent))
        if m > 1.414_213_562_373_095_048_8 {
            m /= 2
            e += 1
        }
        // log m = 2·atanh(s) = 2(s + s³/3 + ... + s²¹/21), |s| ≤ 0.1716.
        let t = (m - 1) / (m + 1), t2 = t * t
        var p = 1.0 / 21
        p = p * t2 + 1.0 / 19; p = p * t2 + 1.0 / 17; p = p * t2 + 1.0 / 15; p = p * t2 + 1.0 / 13
        p = p * t2 + 1.0 / 11; p = p * t2 + 1.0 / 9; p = p * t2 + 1.0 / 7; p = p * t2 + 1.0 / 5
        p = p * t2 + 1.0 / 3; p = p * t2 + 1
        return Float(2 * t * p + e * DeterministicMath.ln2)
    }

    /// e^x in Float32: in Double (basic operations only), rounded once; 0 below about −104.
    @inline(__always)
    public static func exp32(_ x: Float) -> Float {
        guard x > -104 else { return 0 }
        guard x < 89 else { return .infinity }
        let d = Double(x)
        let k = (d / DeterministicMath.ln2).rounded()
        let r = (d - k * 6.931_471_803_691_238_164_90e-01) - k * 1.908_214_929_270_587_700_02e-10   // |r| ≤ ln2/2
        // Taylor to r^13 (error < 1e-16 relative).
        var p = 1.0 / 6_227_020_800
        p = p * r + 1.0 / 479_001_600; p = p * r + 1.0 / 39_916_800; p = p * r + 1.0 / 3_628_800
        p = p * r + 1.0 / 362_880; p = p * r + 1.0 / 40320; p = p * r + 1.0 / 5040; p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120; p = p * r + 1.0 / 24; p = p * r + 1.0 / 6; p = p * r + 0.5; p = p * r + 1
        p = p * r + 1
        return Float(p * Double(sign: .plus, exponent: Int(k), significand: 1))
    }

    /// `jax.random.categorical(key, logits)` for one row of a [rows, V] logits array:
    /// argmax_c(gumbel[row·V + c] + logits[c]), the first maximum on ties.
    public static func categorical(_ key: JaxKey, row: Int, logits: UnsafeBufferPointer<Float>, count: Int,
                                   layout: JaxThreefryLayout = .partitionable) -> Int {
        let v = logits.count
        var best = -Float.infinity, chosen = 0
        var found = false
        for c in 0..<v {
            let value = gumbel(key, index: row * v + c, count: count, layout: layout) + logits[c]
            if !found || value > best {
                best = value
                chosen = c
                found = true
            }
        }
        return chosen
    }
}
