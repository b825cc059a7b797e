// TokenSampler: one categorical draw per position from (guided, tempered, top-k filtered)
// logits, and the log-probability of the drawn code under that same distribution.
//
// Official: jax.random.categorical(rng, logits) (Gumbel-max), temperature 1, no filtering,
// then log(softmax(logits)[sampled]). Here the draw is by inverse CDF with one uniform per
// position (same distribution, one draw instead of V), and log p is computed as a log-softmax
// (no underflow to −∞). Legend: V = codebook size.

struct TokenSampler {
    let codebookSize: Int
    let temperature: Float
    let topK: Int?

    /// Draws a code from `row` (V logits) with uniform `u` in (0, 1); returns the code and
    /// its log-probability under the sampled distribution.
    func sample(_ row: UnsafeBufferPointer<Float>, uniform u: Float) -> (code: Int32, logProb: Float) {
        let v = codebookSize
        // Top-k cut-off: the k-th largest logit (ties at the cut-off are kept).
        var threshold = -Float.infinity
        if let topK, topK < v {
            var sorted = Array(row)
            sorted.sort(by: >)
            threshold = sorted[topK - 1]
        }
        var maxLogit = -Float.infinity
        for c in 0..<v where row[c] >= threshold { maxLogit = max(maxLogit, row[c]) }
        guard maxLogit.isFinite else {
            // Degenerate row (all −∞ or NaN): take the first code, certain.
            return (0, 0)
        }
        let invT = Double(1 / temperature)
        var weights = [Double](repeating: 0, count: v)
        var total = 0.0
        for c in 0..<v where row[c] >= threshold {
            let w = DeterministicMath.exp(Double(row[c] - maxLogit) * invT)
            weights[c] = w
            total += w
        }
        let target = Double(u) * total
        var cumulative = 0.0
        var chosen = -1
        for c in 0..<v where weights[c] > 0 {
            cumulative += weights[c]
            chosen = c
            if cumulative > target { break }
        }
        let logProb = DeterministicMath.log(weights[chosen]) - DeterministicMath.log(total)
        return (Int32(chosen), Float(logProb))
    }
}
