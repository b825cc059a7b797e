// MaskSchedule: the fraction of the initially unknown tokens still masked after a step.
// Ports maskgit/libml/mask_schedule.py (`schedule`) and the mask_len lines of
// maskgit/libml/parallel_decode.py (L134–154), in Float32 as JAX computes them.
//
// Pure functions. r = (step + 1) / T for step = 0..<T; γ(r) is clipped to [1e-6, 1];
// mask_len = floor(N0 · γ(r)), then clamped to max(1, min(unknownNow − 1, mask_len)).

import Foundation

/// How the schedule turns the step ratio r ∈ (0, 1] into the masked fraction γ(r).
public enum MaskSchedule: Sendable, Hashable, Codable {
    /// cos(π/2 · r), the official default.
    case cosine
    /// 1 − r (the official `uniform`).
    case linear
    /// 1 − r^k (official `pow2`, `pow3`, ...; `square` is k = 2, `cubic` k = 3).
    case power(Float)
    /// 1 − 2^(−log2(N0)·(1 − r)) (official `exp`).
    case exponential
    /// −log2(r) / log2(N0) (official `log`).
    case logarithmic
    /// arccos(r) / (π/2) (valeoai / Halton-MaskGIT).
    case arccos

    /// 1 − r², the official `pow2`.
    public static let square = MaskSchedule.power(2)
    /// 1 − r³, the official `pow3`.
    public static let cubic = MaskSchedule.power(3)
}

/// How r = (step + 1)/T and 1 − r are evaluated in Float32.
public enum ScheduleArithmetic: Sendable, Hashable, Codable {
    /// What the official code computes once compiled by `jax.jit` on the CPU backend: XLA turns
    /// the division into a multiply by fl32(1/T), and the multiply is fused (FMA, one rounding)
    /// with the following `1 − x`. For the power schedules (k = 2, 3) XLA splits
    /// pow((step+1)·c, k) into fma(−fl((step+1)^k), fl(c^k), 1) with c = fl32(1/T) (checked against JAX 0.10.2
    /// on every case of Fixtures/official-schedule.json); other k use powf. Cosine, log and arccos counts equal `.exactDivision`'s on the reference vectors;
    /// linear/square/cubic may mask one token fewer (linear, N0 = 64, T = 12, step 8: 15, not 16).
    /// `log2` is log(x)·fl32(1/ln 2) and `exp2` is exp(fl32(ln 2)·x), as XLA computes them
    /// (exp, N0 = 64, T = 12, step 9: 2^−0.99999988 gives exactly 0.5 there, so 32 stay masked,
    /// where a correctly rounded exp2 gives 0.50000006 and 31).
    case compiledOfficial
    /// Plain Float32: r = fl32(Float(step+1) / Float(T)), 1 − r rounded separately.
    case exactDivision
}

extension MaskSchedule {
    /// r = (step + 1) / totalSteps in Float32 (rounded once, as the schedule's input).
    public static func ratio(step: Int, totalSteps: Int, arithmetic: ScheduleArithmetic) -> Float {
        switch arithmetic {
        case .compiledOfficial: return Float(step + 1) * (1 / Float(totalSteps))
        case .exactDivision: return Float(step + 1) / Float(totalSteps)
        }
    }

    /// 1 − r, with the compiled variant's single rounding.
    public static func oneMinusRatio(step: Int, totalSteps: Int, arithmetic: ScheduleArithmetic) -> Float {
        switch arithmetic {
        case .compiledOfficial:
            return Float(1).addingProduct(-Float(step + 1), 1 / Float(totalSteps))
        case .exactDivision:
            return 1 - Float(step + 1) / Float(totalSteps)
        }
    }

    /// `jnp.log2` as XLA compiles it: log(x) / log(2) with the division by the constant turned
    /// into a multiply by fl32(1/ln 2); the log rounded once to Float32.
    static func xlaLog2(_ x: Float) -> Float {
        Float(DeterministicMath.log(Double(x))) * Float(1 / DeterministicMath.ln2)
    }

    /// `jnp.exp2` as JAX lowers it: exp(fl32(ln 2) · x); the exp rounded once to Float32.
    static func xlaExp2(_ x: Float) -> Float {
        Float(DeterministicMath.exp(Double(Float(DeterministicMath.ln2) * x)))
    }

    /// γ(r) clipped to [1e-6, 1] as the official code computes it, NaN kept.
    func rawMaskRatio(step: Int, totalSteps: Int, initialUnknown: Int, arithmetic: ScheduleArithmetic) -> Float {
        let r = MaskSchedule.ratio(step: step, totalSteps: totalSteps, arithmetic: arithmetic)
        let oneMinusR = MaskSchedule.oneMinusRatio(step: step, totalSteps: totalSteps, arithmetic: arithmetic)
        let n = Float(max(1, initialUnknown))
        let value: Float
        switch self {
        case .cosine:
            // jax.lax.cos(math.pi / 2. * ratio): fl32(π/2) · r rounded, then cos in Float32.
            value = cos(Float.pi / 2 * r)
        case .linear:
            value = oneMinusR
        case .power(let k):
            switch (arithmetic, k) {
            case (.compiledOfficial, 2), (.compiledOfficial, 3):
                // XLA rewrites pow((step+1)·c, k) as pow(step+1, k)·pow(c, k), c = fl32(1/T), each
                // power as Float32 products, the last product fused with 1 − x (one FMA).
                let c = 1 / Float(totalSteps), s = Float(step + 1)
                let ck = k == 2 ? c * c : (c * c) * c, sk = k == 2 ? s * s : s * s * s
                value = Float(1).addingProduct(-sk, ck)
            default: value = 1 - pow(r, k)
            }
        case .exponential:
            switch arithmetic {
            case .compiledOfficial: value = 1 - MaskSchedule.xlaExp2(-MaskSchedule.xlaLog2(n) * oneMinusR)
            case .exactDivision: value = 1 - exp2(-log2(n) * oneMinusR)
            }
        case .logarithmic:
            switch arithmetic {
            case .compiledOfficial: value = -MaskSchedule.xlaLog2(r) / MaskSchedule.xlaLog2(n)
            case .exactDivision: value = -log2(r) / log2(n)
            }
        case .arccos:
            value = acos(min(1, r)) / (Float.pi / 2)
        }
        // jnp.clip(mask_ratio, 1e-6, 1.); NaN (log schedule with N0 = 1 at r = 1) stays NaN.
        guard value == value else { return .nan }
        return min(1, max(1e-6, value))
    }

    /// γ(r) for step `step` of `totalSteps`, clipped to [1e-6, 1]; `initialUnknown` is N0 (used by
    /// the log and exp schedules). NaN (the log schedule with N0 = 1 at r = 1) becomes 1e-6.
    public func maskRatio(step: Int, totalSteps: Int, initialUnknown: Int,
                          arithmetic: ScheduleArithmetic = .compiledOfficial) -> Float {
        let value = rawMaskRatio(step: step, totalSteps: totalSteps, initialUnknown: initialUnknown, arithmetic: arithmetic)
        return value == value ? value : 1e-6
    }

    /// The official number of tokens to keep masked after step `step`:
    /// max(1, min(unknownNow − 1, floor(N0 · γ(r)))).
    public func maskLength(step: Int, totalSteps: Int, initialUnknown: Int, unknownNow: Int,
                           arithmetic: ScheduleArithmetic = .compiledOfficial) -> Int {
        let ratio = rawMaskRatio(step: step, totalSteps: totalSteps, initialUnknown: initialUnknown,
                                 arithmetic: arithmetic)
        // NaN survives the official clamp and becomes index 0 (nothing re-masked) as an int32.
        guard ratio == ratio else { return 0 }
        // floor(unknown_number_in_the_beginning * mask_ratio) in Float32.
        let raw = Int((Float(initialUnknown) * ratio).rounded(.down))
        return max(1, min(unknownNow - 1, raw))
    }

    /// The masked counts after each step of an uninterrupted official decode of N0 unknown tokens
    /// (the reference's test-vector rows). The last entry is the clamped 1 of `cur_seqs`; the
    /// returned sample itself is complete.
    public func maskedCounts(initialUnknown: Int, totalSteps: Int, startStep: Int = 0,
                             arithmetic: ScheduleArithmetic = .compiledOfficial) -> [Int] {
        var unknown = initialUnknown
        var out: [Int] = []
        for step in startStep..<totalSteps {
            unknown = maskLength(step: step, totalSteps: totalSteps, initialUnknown: initialUnknown,
                                 unknownNow: unknown, arithmetic: arithmetic)
            out.append(unknown)
        }
        return out
    }
}
