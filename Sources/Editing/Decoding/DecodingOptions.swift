// DecodingOptions: every per-request knob of the parallel decoder. The defaults are the
// official sampler (cosine, 12 steps, choice temperature 4.5, temperature-1 categorical
// sampling over all codes, no guidance).

/// Which positions are revealed at each step.
public enum RevealOrder: Sendable, Hashable, Codable {
    /// The official rule: keep the most confident samples, confidence = log p + τ·(1 − r)·Gumbel.
    case confidence(choiceTemperature: Float)
    /// Reveal positions in the order of a 2-D Halton sequence (bases 2 and 3) restricted to the
    /// initially unknown positions; `roll` rotates the order by a seed-derived offset.
    case halton(roll: Bool)

    /// The official order with τ = 4.5.
    public static let official = RevealOrder.confidence(choiceTemperature: 4.5)
}

/// The softmax temperature applied to the logits before sampling.
public enum SamplingTemperature: Sendable, Hashable, Codable {
    /// The same temperature at every step (1 = the official sampler).
    case constant(Float)
    /// Linear from `start` at the first step (step 0) to `end` at the last (step T − 1), like
    /// Halton-MaskGIT's linspace.
    case linear(start: Float, end: Float)

    /// The temperature at global step `step` of `totalSteps`.
    public func value(step: Int, totalSteps: Int) -> Float {
        switch self {
        case .constant(let t): return t
        case .linear(let a, let b):
            guard totalSteps > 1 else { return b }
            return a + (b - a) * Float(step) / Float(totalSteps - 1)
        }
    }
}

/// Classifier-free guidance: logits = (1 + w)·cond − w·uncond, w = 0 is no guidance.
/// Requires a predictor with a null class.
public struct Guidance: Sendable, Hashable, Codable {
    /// How w changes over the steps.
    public enum Ramp: Sendable, Hashable, Codable {
        /// w at every step.
        case constant
        /// w·r with r = (step + 1)/T: weak early, full at the last step (valeoai's linear ramp).
        case linear
    }

    public var weight: Float
    public var ramp: Ramp

    public init(weight: Float, ramp: Ramp = .constant) {
        self.weight = weight
        self.ramp = ramp
    }

    /// The weight at global step `step` of `totalSteps`.
    public func weight(step: Int, totalSteps: Int) -> Float {
        switch ramp {
        case .constant: return weight
        case .linear: return weight * Float(step + 1) / Float(totalSteps)
        }
    }
}

/// Where the decoder's random numbers come from.
public enum RandomMode: Sendable, Hashable, Codable {
    /// The project's counter-based SplitMix64 streams (RandomSource): one uniform per position
    /// (inverse-CDF sampling), draws addressed by step and position.
    case splitMix
    /// JAX's threefry-2x32 consumed as the official decode loop consumes it (JaxSampling):
    /// the seed is `jax.random.PRNGKey(seed)`, the key passed to the official `decode`.
    case jax(JaxThreefryLayout)
}

/// The options of one decode.
public struct DecodingOptions: Sendable, Hashable, Codable {
    /// T, the official `num_iter` (the schedule is evaluated at r = (step + 1)/T).
    public var steps: Int
    /// The official `start_iter`: the first step run (0 ≤ startStep < steps). Steps before it
    /// are skipped, so the schedule starts at r = (startStep + 1)/T.
    public var startStep: Int
    public var schedule: MaskSchedule
    public var arithmetic: ScheduleArithmetic
    public var order: RevealOrder
    public var temperature: SamplingTemperature
    /// Keep only the k largest logits per position before sampling (ties at the k-th value are
    /// kept too); nil keeps all codes.
    public var topK: Int?
    public var guidance: Guidance?
    /// The random numbers: the project's streams (default) or the official JAX sampler's.
    public var random: RandomMode
    /// Fewer steps when few tokens are unknown: a decode whose grid has u of N positions unknown
    /// runs `adaptedSteps(unknown: u, of: N)` steps instead of `steps` (see there). Applies only
    /// with startStep 0; off by default (the official sampler always runs `steps`).
    public var adaptiveSteps: Bool = false

    public init(steps: Int = 12, startStep: Int = 0, schedule: MaskSchedule = .cosine,
                arithmetic: ScheduleArithmetic = .compiledOfficial, order: RevealOrder = .official,
                temperature: SamplingTemperature = .constant(1), topK: Int? = nil,
                guidance: Guidance? = nil, random: RandomMode = .splitMix) {
        self.steps = steps
        self.startStep = startStep
        self.schedule = schedule
        self.arithmetic = arithmetic
        self.order = order
        self.temperature = temperature
        self.topK = topK
        self.guidance = guidance
        self.random = random
    }

    /// The steps an adaptive decode runs for `unknown` of `total` positions:
    /// max(min(steps, 4), ⌈steps · √(unknown / total)⌉), at most `steps`. The square root was
    /// chosen from `scripts/bench_inpaint_steps.py` on held-out emoji (Docs/Benchmarks.md,
    /// "Decoding steps and mask area"): a 10 % mask at T = 12 runs 4 steps, 25 % 6, 50 % 9,
    /// a full grid 12.
    public func adaptedSteps(unknown: Int, of total: Int) -> Int {
        guard adaptiveSteps, startStep == 0, total > 0, unknown < total else { return steps }
        let share = Double(max(0, unknown)) / Double(total)
        let scaled = Int((Double(steps) * share.squareRoot()).rounded(.up))
        return min(steps, max(min(steps, 4), scaled))
    }

    /// The official sampler: cosine, T = 12, τ = 4.5.
    public static let official = DecodingOptions()
    /// The official class-conditional editing run: start_iter 2 of num_iter 12.
    public static let officialEditing = DecodingOptions(steps: 12, startStep: 2)
    /// Halton-order reveal with the arccos schedule (Besnier et al.).
    public static let halton = DecodingOptions(steps: 12, schedule: .arccos, order: .halton(roll: false))

    /// Throws `DecodingError.invalidOption` naming the first bad value.
    public func validate() throws {
        guard steps >= 1 else { throw DecodingError.invalidOption(name: "steps", value: "\(steps)") }
        guard startStep >= 0, startStep < steps else {
            throw DecodingError.invalidOption(name: "startStep", value: "\(startStep)")
        }
        if case .power(let k) = schedule, !(k > 0) || !k.isFinite {
            throw DecodingError.invalidOption(name: "schedule.power", value: "\(k)")
        }
        if case .confidence(let tau) = order, !(tau >= 0) || !tau.isFinite {
            throw DecodingError.invalidOption(name: "choiceTemperature", value: "\(tau)")
        }
        for step in [0, steps - 1] {
            let t = temperature.value(step: step, totalSteps: steps)
            guard t > 0, t.isFinite else {
                throw DecodingError.invalidOption(name: "temperature", value: "\(t)")
            }
        }
        if let topK, topK < 1 { throw DecodingError.invalidOption(name: "topK", value: "\(topK)") }
        if let guidance, !guidance.weight.isFinite {
            throw DecodingError.invalidOption(name: "guidance.weight", value: "\(guidance.weight)")
        }
    }
}
