// DecodingSession: MaskGIT's iterative parallel decoder, one step per call.
// Ports maskgit/libml/parallel_decode.py `decode` (loop_fn), with the extensions of
// DecodingOptions. Legend: N = grid positions, V = codebook size.
//
// Per step t (startStep ..< steps):
//   1. logits [N, V] from the predictor (cond, or cond and uncond combined for guidance)
//   2. sample every unknown position (temperature, top-k); known positions keep their token
//   3. that pre-remask sample is the running result (the final output is the last step's)
//   4. the reveal strategy re-masks some of the sampled positions for the next step
// Random streams: step t uses source.child(t); inside it child(0) draws the samples and
// child(1) the choice noise, each indexed by position. With `RandomMode.jax` the official
// loop's threefry key is split twice per step instead (JaxSampling).

/// Where a decode stands after a step.
public struct DecodingProgress: Sendable, Hashable {
    /// Steps run so far in this session (1 after the first step).
    public var stepsDone: Int
    /// Steps this session runs in all (steps − startStep).
    public var totalSteps: Int
    /// The global index t of the last step run (startStep + stepsDone − 1), −1 before any.
    public var stepIndex: Int
    /// Initially unknown tokens that are now committed (N0 when finished).
    public var committed: Int
    /// Tokens still masked (0 when finished: the result is the complete pre-remask sample).
    public var masked: Int
    /// N0, the unknown tokens of the initial input.
    public var initialUnknown: Int

    /// stepsDone / totalSteps.
    public var fraction: Double { totalSteps == 0 ? 1 : Double(stepsDone) / Double(totalSteps) }
}

/// A decode in progress. Advance it with `step()` (the caller may stop between steps), or run it
/// to the end with `run(progress:)`. Same predictor, tokens, condition, options and seed give
/// the same result on every run.
public struct DecodingSession: Sendable {
    public let predictor: any TokenPredictor
    public let condition: Conditioning
    public let options: DecodingOptions
    /// The seed of this decode (reported with every result).
    public let seed: UInt64
    /// Unknown positions of the initial input.
    public let initiallyUnknown: [Bool]
    public let initialUnknownCount: Int

    /// Tokens now: codes, with the mask id where still unknown (the official `cur_seqs`).
    public private(set) var currentTokens: [Int32]
    /// The last step's pre-remask sample (the official `final_seqs[:, step]`).
    private var lastSample: [Int32]?
    /// The next global step to run.
    public private(set) var nextStep: Int

    private let random: RandomSource
    /// The official loop's `rng` (`RandomMode.jax` only), advanced by two splits per step.
    private var jaxKey: JaxKey?
    private let strategy: any RevealStrategy

    /// Starts a decode of `tokens` ([N], the predictor's mask id at unknown positions). A nil
    /// seed draws one (read it back from `seed`). Throws on bad options, bad tokens, a class out
    /// of range, or guidance/unconditional without a null class.
    public init(predictor: any TokenPredictor, tokens: [Int32], condition: Conditioning,
                options: DecodingOptions = .official, seed: UInt64? = nil) throws {
        let seed = seed ?? RandomSource.drawSeed()
        try options.validate()
        let n = predictor.gridShape.count
        guard tokens.count == n else { throw DecodingError.tokenCount(expected: n, got: tokens.count) }
        let mask = predictor.maskTokenID
        for (i, t) in tokens.enumerated() where t != mask && (t < 0 || Int(t) >= predictor.codebookSize) {
            throw DecodingError.invalidToken(position: i, value: t)
        }
        switch condition {
        case .classLabel(let label):
            guard label >= 0, label < predictor.numClasses else {
                throw DecodingError.classOutOfRange(label: label, numClasses: predictor.numClasses)
            }
        case .unconditional:
            guard predictor.nullClassID != nil else { throw DecodingError.unconditionalUnavailable }
        }
        if options.guidance != nil, predictor.nullClassID == nil { throw DecodingError.guidanceUnavailable }

        self.predictor = predictor
        self.condition = condition
        self.seed = seed
        self.random = RandomSource(seed: seed)
        if case .jax = options.random { jaxKey = JaxKey(seed: seed) }
        initiallyUnknown = tokens.map { $0 == mask }
        initialUnknownCount = initiallyUnknown.reduce(0) { $0 + ($1 ? 1 : 0) }
        // An adaptive decode fixes its step count from the unknown share, once, here.
        var options = options
        options.steps = options.adaptedSteps(unknown: initialUnknownCount, of: n)
        self.options = options
        currentTokens = tokens
        nextStep = options.startStep
        switch options.order {
        case .confidence(let tau):
            strategy = ConfidenceReveal(choiceTemperature: tau)
        case .halton(let roll):
            strategy = HaltonReveal(shape: predictor.gridShape, initiallyUnknown: initiallyUnknown,
                                    rollOffset: roll ? random.child(0xA170).uint64(at: 0) : nil)
        }
        if initialUnknownCount == 0 {
            lastSample = tokens
            nextStep = options.steps
        }
    }

    /// Starts a decode of a grid whose `TokenGrid.missing` entries are the unknown positions.
    public init(predictor: any TokenPredictor, grid: TokenGrid, condition: Conditioning,
                options: DecodingOptions = .official, seed: UInt64? = nil) throws {
        guard grid.shape == predictor.gridShape else {
            throw DecodingError.tokenCount(expected: predictor.gridShape.count, got: grid.tokens.count)
        }
        let mask = predictor.maskTokenID
        try self.init(predictor: predictor,
                      tokens: grid.tokens.map { $0 == TokenGrid.missing ? mask : $0 },
                      condition: condition, options: options, seed: seed)
    }

    /// True once every step has run (or nothing was unknown).
    public var isFinished: Bool { nextStep >= options.steps }

    /// The complete decoded tokens ([N], no mask ids) once finished; nil before.
    public var result: [Int32]? { isFinished ? lastSample : nil }

    /// `result` as a grid of the predictor's shape.
    public var resultGrid: TokenGrid? {
        guard let result else { return nil }
        return TokenGrid(width: predictor.gridShape.width, height: predictor.gridShape.height, tokens: result)
    }

    /// The progress so far.
    public var progress: DecodingProgress {
        let total = options.steps - options.startStep
        let done = isFinished ? total : nextStep - options.startStep
        let masked = isFinished ? 0 : currentTokens.reduce(0) { $0 + ($1 == predictor.maskTokenID ? 1 : 0) }
        return DecodingProgress(stepsDone: done, totalSteps: total, stepIndex: options.startStep + done - 1,
                                committed: initialUnknownCount - masked, masked: masked,
                                initialUnknown: initialUnknownCount)
    }

    /// Runs one step; returns the progress after it. Does nothing when finished.
    @discardableResult
    public mutating func step() throws -> DecodingProgress {
        guard !isFinished else { return progress }
        return try step(passLogits: try predictor.logits(tokens: currentTokens, conditions: stepConditions))
    }

    /// The conditions of a step's forward passes: the condition's, then the unconditional one
    /// under guidance.
    private var stepConditions: [Conditioning] { options.guidance != nil ? [condition, .unconditional] : [condition] }

    /// The forward passes the next step needs, in order: the condition's, then the
    /// unconditional one under guidance. Empty when finished.
    public var pendingPasses: [PredictorPass] {
        guard !isFinished else { return [] }
        return stepConditions.map { PredictorPass(tokens: currentTokens, condition: $0) }
    }

    /// Runs the next step with the logits of `pendingPasses` (same order, one [N, V] array
    /// each), computed elsewhere: the same step as `step()` given the same logits.
    @discardableResult
    public mutating func step(passLogits: [[Float]]) throws -> DecodingProgress {
        guard !isFinished else { return progress }
        let expected = predictor.gridShape.count * predictor.codebookSize
        if let guidance = options.guidance {
            guard passLogits.count == 2 else {
                throw DecodingError.logitsCount(expected: 2 * expected, got: passLogits.reduce(0) { $0 + $1.count })
            }
            return try advance(logits: try Self.guided(cond: passLogits[0], uncond: passLogits[1], expected: expected,
                                                       weight: guidance.weight(step: nextStep, totalSteps: options.steps)))
        }
        guard passLogits.count == 1, passLogits[0].count == expected else {
            throw DecodingError.logitsCount(expected: expected, got: passLogits.reduce(0) { $0 + $1.count })
        }
        return try advance(logits: passLogits[0])
    }

    /// One step of every unfinished session, all their forward passes in one
    /// `logits(batch:)` call of the first one's predictor (`batched` false: each session's
    /// `step()` on its own, the reference). The sessions must share that predictor. Each session
    /// keeps its own random streams, so the result equals stepping them one by one whenever
    /// the predictor's batched logits equal its single ones.
    public static func stepTogether(_ sessions: inout [DecodingSession], batched: Bool = true) throws {
        guard batched else {
            for i in sessions.indices where !sessions[i].isFinished { try sessions[i].step() }
            return
        }
        var passes: [PredictorPass] = [], owners: [Int] = []
        for (i, session) in sessions.enumerated() {
            let p = session.pendingPasses
            passes += p
            owners += [Int](repeating: i, count: p.count)
        }
        guard let first = sessions.first(where: { !$0.isFinished }) else { return }
        let logits = try first.predictor.logits(batch: passes)
        guard logits.count == passes.count else {
            throw DecodingError.logitsCount(expected: passes.count, got: logits.count)
        }
        var start = 0
        while start < passes.count {
            var end = start
            while end < passes.count, owners[end] == owners[start] { end += 1 }
            try sessions[owners[start]].step(passLogits: Array(logits[start..<end]))
            start = end
        }
    }

    /// Samples and re-masks step `nextStep` given its (guided) logits [N, V].
    private mutating func advance(logits: [Float]) throws -> DecodingProgress {
        let t = nextStep
        let steps = options.steps
        let n = predictor.gridShape.count
        let v = predictor.codebookSize
        let mask = predictor.maskTokenID
        let sampler = TokenSampler(codebookSize: v, temperature: options.temperature.value(step: t, totalSteps: steps),
                                   topK: options.topK)
        let stepRandom = random.child(UInt64(t))
        let sampling = stepRandom.child(0)
        let unknown = currentTokens.map { $0 == mask }
        var sampled = currentTokens
        var logProbs = [Float](repeating: 0, count: n)
        var jaxNoise: [Float]?
        if case .jax(let layout) = options.random, let key = jaxKey {
            let draws = JaxStepDraws(key: key, layout: layout)
            logits.withUnsafeBufferPointer { all in
                for i in 0..<n where unknown[i] {
                    let row = UnsafeBufferPointer(rebasing: all[(i * v)..<((i + 1) * v)])
                    let draw = sampler.sampleJax(row, key: draws.sampleKey, position: i, positions: n, layout: layout)
                    sampled[i] = draw.code
                    logProbs[i] = draw.logProb
                }
            }
            jaxNoise = JaxSampling.choiceNoise(key: draws.choiceKey, positions: n, unknown: unknown, layout: layout)
            jaxKey = draws.nextKey
        } else {
            logits.withUnsafeBufferPointer { all in
                for i in 0..<n where unknown[i] {
                    let row = UnsafeBufferPointer(rebasing: all[(i * v)..<((i + 1) * v)])
                    let draw = sampler.sample(row, uniform: sampling.uniform(at: i))
                    sampled[i] = draw.code
                    logProbs[i] = draw.logProb
                }
            }
        }
        lastSample = sampled
        let remask = strategy.remask(RevealContext(
            step: t, totalSteps: steps, schedule: options.schedule, arithmetic: options.arithmetic,
            initialUnknown: initialUnknownCount, unknown: unknown, logProbs: logProbs,
            noise: stepRandom.child(1), noiseValues: jaxNoise))
        for i in 0..<n { currentTokens[i] = remask[i] ? mask : sampled[i] }
        nextStep += 1
        return progress
    }

    /// Runs the remaining steps, calling `progress` after each; when it returns false the decode
    /// stops and `DecodingError.cancelled` is thrown (the session stays valid and can be resumed).
    /// Returns `result`.
    public mutating func run(progress report: (DecodingProgress) -> Bool = { _ in true }) throws -> [Int32] {
        while !isFinished {
            let p = try step()
            if !report(p), !isFinished { throw DecodingError.cancelled(afterStep: p.stepIndex) }
        }
        return lastSample ?? currentTokens
    }
}

extension DecodingSession {
    /// (1 + w)·cond − w·uncond, both [N, V] of `expected` values.
    fileprivate static func guided(cond: [Float], uncond: [Float], expected: Int, weight w: Float) throws -> [Float] {
        guard cond.count == expected else { throw DecodingError.logitsCount(expected: expected, got: cond.count) }
        guard uncond.count == expected else { throw DecodingError.logitsCount(expected: expected, got: uncond.count) }
        var out = cond
        for i in 0..<expected { out[i] = (1 + w) * cond[i] - w * uncond[i] }
        return out
    }
}

/// The house-style name of the step-by-step decoder.
public typealias ParallelDecoder = DecodingSession
