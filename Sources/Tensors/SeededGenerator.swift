// SeededGenerator: SplitMix64, a small fixed generator for reproducible data (test inputs,
// benchmark images). Not for sampling: the decoder has its own counter-based RandomSource.

/// SplitMix64 as a `RandomNumberGenerator`: the same seed gives the same stream everywhere.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value k/255 for k in 0...255, like 8-bit pixels in [0, 1].
    public mutating func nextPixelValue() -> Float { Float(next() % 256) / 255 }
}
