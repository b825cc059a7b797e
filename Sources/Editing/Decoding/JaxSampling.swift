// JaxSampling: one decoder step's random draws as the official JAX decode loop makes them
// (`rng: "jax"`; parallel_decode.py `loop_body_fn`, see JaxRandom for the functions):
//
//   rng, sample_rng = split(rng, 2)
//   sampled = categorical(sample_rng, logits)          logits [1, L, V], L = 1 + N (class token at 0)
//   p       = softmax(logits)[sampled]                 in Float32; confidence uses log(p)
//   rng, choice_rng = split(rng)
//   noise   = gumbel(choice_rng, [1, L])               image position i is element 1 + i
//
// Batch 1: with the partitionable layout (the JAX 0.10 default) row 0 of a larger batch draws
// the same numbers, so this also reproduces the first sample of the official batch of 8.
// Temperature and top-k (not in the official sampler) act on the logits before the draw.

struct JaxStepDraws {
    /// The key after the step (the loop's `rng`).
    let nextKey: JaxKey
    let sampleKey: JaxKey
    let choiceKey: JaxKey

    init(key: JaxKey, layout: JaxThreefryLayout) {
        let first = JaxRandom.split(key, count: 2, layout: layout)
        let second = JaxRandom.split(first[0], count: 2, layout: layout)
        nextKey = second[0]
        sampleKey = first[1]
        choiceKey = second[1]
    }
}

extension TokenSampler {
    /// Draws position `position` (0-based image position; JAX row 1 + position) of an N-position
    /// grid as `jax.random.categorical` does; returns the code and log(softmax(row)[code]) in
    /// Float32 (−∞ when that probability underflows, as in the official code).
    func sampleJax(_ row: UnsafeBufferPointer<Float>, key: JaxKey, position: Int, positions n: Int,
                   layout: JaxThreefryLayout) -> (code: Int32, logProb: Float) {
        let v = codebookSize
        var threshold = -Float.infinity
        if let topK, topK < v {
            var sorted = Array(row)
            sorted.sort(by: >)
            threshold = sorted[topK - 1]
        }
        let invT = 1 / temperature
        var logits = [Float](repeating: -.infinity, count: v)
        for c in 0..<v where row[c] >= threshold { logits[c] = temperature == 1 ? row[c] : row[c] * invT }
        let code = logits.withUnsafeBufferPointer {
            JaxRandom.categorical(key, row: 1 + position, logits: $0, count: (n + 1) * v, layout: layout)
        }
        // jax.nn.softmax in Float32: exp(x − max) / Σ exp(x − max).
        let maxLogit = logits.max() ?? 0
        guard maxLogit.isFinite else { return (Int32(code), 0) }
        var total: Float = 0
        for c in 0..<v { total += JaxSampling.exp32(logits[c] - maxLogit) }
        let p = JaxSampling.exp32(logits[code] - maxLogit) / total
        return (Int32(code), JaxRandom.log32(p))
    }
}

enum JaxSampling {
    /// e^x rounded once to Float32 (0 at −∞).
    @inline(__always)
    static func exp32(_ x: Float) -> Float { JaxRandom.exp32(x) }

    /// The choice noise of every image position (element 1 + i of gumbel(choice_rng, [1, 1 + N])).
    static func choiceNoise(key: JaxKey, positions n: Int, unknown: [Bool], layout: JaxThreefryLayout) -> [Float] {
        (0..<n).map { i in unknown[i] ? JaxRandom.gumbel(key, index: 1 + i, count: n + 1, layout: layout) : 0 }
    }
}
