// ConfidenceReveal: the official re-masking rule (parallel_decode.py L141–154,
// mask_by_random_topk L29–56).
//
//   confidence = log p(sampled) + τ·(1 − r)·Gumbel      (known positions: +∞)
//   mask_len   = max(1, min(unknown_now − 1, floor(N0·γ(r))))
//   cut_off    = sort(confidence)[mask_len]
//   re-mask every position with confidence < cut_off
//
// Tie semantics (as the official code): positions whose confidence equals the cut-off are kept,
// so fewer than mask_len positions are re-masked when values tie at the cut-off (with continuous
// Gumbel noise this has probability 0 unless τ·(1 − r) = 0 at the last step, where the output is
// the pre-remask sample anyway). mask_len can reach unknown_now only when unknown_now ≤ 1; the
// cut-off index then lands on a +∞ (known) entry and every unknown position is re-masked, as in
// the official code.

struct ConfidenceReveal: RevealStrategy {
    /// τ, the official choice_temperature (4.5 in the config).
    let choiceTemperature: Float

    func remask(_ context: RevealContext) -> [Bool] {
        let n = context.unknown.count
        let unknownNow = context.unknown.reduce(0) { $0 + ($1 ? 1 : 0) }
        let maskLength = context.schedule.maskLength(
            step: context.step, totalSteps: context.totalSteps,
            initialUnknown: context.initialUnknown, unknownNow: unknownNow,
            arithmetic: context.arithmetic)
        let oneMinusR = MaskSchedule.oneMinusRatio(step: context.step, totalSteps: context.totalSteps,
                                                   arithmetic: context.arithmetic)
        let noiseScale = choiceTemperature * oneMinusR
        var confidence = [Float](repeating: .infinity, count: n)
        for i in 0..<n where context.unknown[i] {
            let g = context.noiseValues?[i] ?? context.noise.gumbel(at: i)
            confidence[i] = context.logProbs[i] + noiseScale * g
        }
        guard maskLength < n else { return context.unknown }
        let cutOff = confidence.sorted()[maskLength]
        return confidence.map { $0 < cutOff }
    }
}
