// RandomSource: a seeded, counter-based, platform-independent random source.
//
// Generator: SplitMix64 (Steele, Lea, Flood 2014) used as a counter-based function:
//   value(key, i) = mix64(key + (i + 1) · 0x9E3779B97F4A7C15)
// which is exactly the i-th output of a SplitMix64 generator seeded with `key`. Draws are
// addressed by index (the token position), never by call order, so the result does not depend
// on the order work is done in. Independent streams are derived like `jax.random.fold_in`:
//   child(key, label) = mix64(key ^ mix64(label + 0x9E3779B97F4A7C15)).
// The decoder uses one child per step and, inside it, one child for token sampling and one for
// the choice (Gumbel) noise, mirroring the official per-step `jax.random.split`.
// Only integer arithmetic and IEEE-754 basic operations are used (see DeterministicMath), so the
// same seed gives the same draws on every platform.

/// A seeded counter-based random source (SplitMix64). Value type; copies draw the same numbers.
public struct RandomSource: Sendable, Hashable {
    /// The key this source draws from (the seed itself for a root source).
    public let key: UInt64

    static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// A root source for `seed`.
    public init(seed: UInt64) {
        key = seed
    }

    /// A fresh seed from the system generator (used when a request gives none; always reported).
    public static func drawSeed() -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        return generator.next() & maxSeed
    }

    /// Drawn seeds stay below 2^53 so that every JSON client (numbers as doubles) can send a
    /// reported seed back unchanged.
    public static let maxSeed: UInt64 = (1 << 53) - 1

    /// SplitMix64's output function.
    @inlinable
    public static func mix64(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// An independent source for `label` (like `jax.random.fold_in`).
    public func child(_ label: UInt64) -> RandomSource {
        RandomSource(seed: RandomSource.mix64(key ^ RandomSource.mix64(label &+ RandomSource.gamma)))
    }

    /// The `index`-th 64-bit value of this source (SplitMix64 output number `index`).
    @inlinable
    public func uint64(at index: Int) -> UInt64 {
        RandomSource.mix64(key &+ (UInt64(truncatingIfNeeded: index) &+ 1) &* 0x9E37_79B9_7F4A_7C15)
    }

    /// A uniform Float in the open interval (0, 1): (top 24 bits + 0.5) · 2⁻²⁴.
    @inlinable
    public func uniform(at index: Int) -> Float {
        (Float(uint64(at: index) >> 40) + 0.5) * 0x1p-24
    }

    /// A standard Gumbel draw −log(−log(u)) in Float, u = `uniform(at:)`.
    public func gumbel(at index: Int) -> Float {
        let u = Double(uniform(at: index))
        return Float(-DeterministicMath.log(-DeterministicMath.log(u)))
    }
}
