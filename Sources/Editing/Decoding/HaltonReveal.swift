// HaltonReveal: reveal positions in 2-D Halton order (Halton-MaskGIT), never touching known
// tokens: the order is the grid's Halton order restricted to the initially unknown positions.
//
// After step k (r = (k + 1)/T) the cumulative revealed count is
//   clamp(max(k + 1, int((1 − γ(r))·N0)), ≤ N0)
// with γ the request's schedule (arccos in the paper, see DecodingOptions.halton). No
// confidence, no Gumbel noise: the samples at the revealed positions are committed as drawn.

struct HaltonReveal: RevealStrategy {
    /// The initially unknown positions in reveal order.
    let order: [Int]

    /// `roll` rotates the restricted order by `rollOffset % order.count`.
    init(shape: GridShape, initiallyUnknown: [Bool], rollOffset: UInt64?) {
        var order = HaltonSequence.order(for: shape).filter { initiallyUnknown[$0] }
        if let rollOffset, !order.isEmpty {
            let k = Int(rollOffset % UInt64(order.count))
            order = Array(order[k...] + order[..<k])
        }
        self.order = order
    }

    /// Cumulative revealed count after global step `step`.
    static func revealedCount(step: Int, totalSteps: Int, initialUnknown: Int, schedule: MaskSchedule,
                              arithmetic: ScheduleArithmetic) -> Int {
        if step >= totalSteps - 1 { return initialUnknown }
        let gamma = schedule.maskRatio(step: step, totalSteps: totalSteps, initialUnknown: initialUnknown,
                                       arithmetic: arithmetic)
        let raw = Int(((1 - gamma) * Float(initialUnknown)).rounded(.towardZero))
        return min(initialUnknown, max(step + 1, raw))
    }

    func remask(_ context: RevealContext) -> [Bool] {
        let revealed = HaltonReveal.revealedCount(
            step: context.step, totalSteps: context.totalSteps, initialUnknown: context.initialUnknown,
            schedule: context.schedule, arithmetic: context.arithmetic)
        var keepMasked = context.unknown
        for p in order.prefix(revealed) { keepMasked[p] = false }
        return keepMasked
    }
}
