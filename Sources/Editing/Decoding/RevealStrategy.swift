// RevealStrategy: after a step has sampled every unknown position, which of them go back
// to the mask. One conformer per file: ConfidenceReveal (official), HaltonReveal.

/// What a reveal strategy sees at the end of a step.
struct RevealContext {
    /// Global step index t (startStep ..< steps).
    let step: Int
    let totalSteps: Int
    let schedule: MaskSchedule
    let arithmetic: ScheduleArithmetic
    /// N0: the number of unknown positions in the initial input.
    let initialUnknown: Int
    /// Unknown (masked) before this step, per position.
    let unknown: [Bool]
    /// log p of the sampled code (under the sampled distribution) per position; unused where known.
    let logProbs: [Float]
    /// This step's choice-noise stream (one draw per position).
    let noise: RandomSource
    /// The choice noise per position when it was drawn elsewhere (`rng: "jax"`); nil: `noise`.
    var noiseValues: [Float]? = nil
}

/// Decides which positions are masked again after a step.
protocol RevealStrategy: Sendable {
    /// Per position, true = mask again. Known positions (unknown[i] == false) must stay false.
    func remask(_ context: RevealContext) -> [Bool]
}
