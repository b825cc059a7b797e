import XCTest
@testable import Editing

final class DecodingSessionTests: XCTestCase {
    let predictor = FakePredictor()

    /// A grid with the top half known (codes) and the bottom half masked.
    func halfKnown() -> [Int32] {
        (0..<64).map { $0 < 32 ? Int32(($0 * 7) % 64) : predictor.maskTokenID }
    }

    func testKnownTokensNeverChangeAndCountsFollowSchedule() throws {
        let input = halfKnown()
        var session = try DecodingSession(predictor: predictor, tokens: input, condition: .classLabel(3),
                                          options: DecodingOptions(steps: 8), seed: 1)
        let expectedMasked = MaskSchedule.cosine.maskedCounts(initialUnknown: 32, totalSteps: 8)
        var stepNumber = 0
        while !session.isFinished {
            let p = try session.step()
            let current = session.currentTokens
            for i in 0..<32 { XCTAssertEqual(current[i], input[i], "known token changed at \(i)") }
            let masked = current.filter { $0 == predictor.maskTokenID }.count
            XCTAssertEqual(masked, expectedMasked[stepNumber], "step \(stepNumber)")
            if !session.isFinished { XCTAssertEqual(p.masked, masked) }
            stepNumber += 1
        }
        XCTAssertEqual(stepNumber, 8)
        let result = try XCTUnwrap(session.result)
        XCTAssertFalse(result.contains(predictor.maskTokenID), "the result is the complete pre-remask sample")
        XCTAssertEqual(Array(result[0..<32]), Array(input[0..<32]))
        XCTAssertEqual(session.progress, DecodingProgress(stepsDone: 8, totalSteps: 8, stepIndex: 7, committed: 32,
                                                          masked: 0, initialUnknown: 32))
        // Committed tokens stay committed: every token revealed before the last step is in the result.
    }

    /// adaptiveSteps: the step count follows √(unknown share) with a floor of 4, a full grid keeps
    /// T, startStep > 0 keeps T, and the session runs exactly the adapted count with the schedule
    /// evaluated over it (same tokens as a fixed decode of that many steps).
    func testAdaptiveStepsFollowTheUnknownShare() throws {
        var o = DecodingOptions(steps: 12)
        XCTAssertEqual(o.adaptedSteps(unknown: 6, of: 64), 12, "off by default")
        o.adaptiveSteps = true
        XCTAssertEqual(o.adaptedSteps(unknown: 6, of: 64), 4)     // 10 %: ⌈12·0.306⌉ = 4
        XCTAssertEqual(o.adaptedSteps(unknown: 1, of: 64), 4)     // floor
        XCTAssertEqual(o.adaptedSteps(unknown: 16, of: 64), 6)    // 25 %
        XCTAssertEqual(o.adaptedSteps(unknown: 32, of: 64), 9)    // 50 %: ⌈8.49⌉
        XCTAssertEqual(o.adaptedSteps(unknown: 64, of: 64), 12)   // generation
        XCTAssertEqual(o.adaptedSteps(unknown: 26, of: 256), 4)   // official grid, 10 %
        var short = DecodingOptions(steps: 3)
        short.adaptiveSteps = true
        XCTAssertEqual(short.adaptedSteps(unknown: 1, of: 64), 3, "never more than steps")
        var editing = DecodingOptions.officialEditing
        editing.adaptiveSteps = true
        XCTAssertEqual(editing.adaptedSteps(unknown: 6, of: 64), 12, "startStep > 0 keeps the official run")

        let input = halfKnown()   // 32 of 64 unknown → 9 steps
        var adaptive = try DecodingSession(predictor: predictor, tokens: input, condition: .classLabel(3), options: o, seed: 5)
        XCTAssertEqual(adaptive.options.steps, 9)
        var count = 0
        while !adaptive.isFinished { try adaptive.step(); count += 1 }
        XCTAssertEqual(count, 9)
        var fixed = try DecodingSession(predictor: predictor, tokens: input, condition: .classLabel(3),
                                        options: DecodingOptions(steps: 9), seed: 5)
        XCTAssertEqual(try adaptive.run(), try fixed.run())
    }

    func testCommittedTokensAreKept() throws {
        var session = try DecodingSession(predictor: predictor, tokens: [Int32](repeating: predictor.maskTokenID, count: 64),
                                          condition: .classLabel(0), seed: 9)
        var committed: [Int: Int32] = [:]
        while !session.isFinished {
            try session.step()
            for (i, t) in session.currentTokens.enumerated() where t != predictor.maskTokenID {
                if let old = committed[i] { XCTAssertEqual(old, t) }
                committed[i] = t
            }
        }
        let result = try XCTUnwrap(session.result)
        for (i, t) in committed { XCTAssertEqual(result[i], t) }
    }

    func testDeterminismAndSeedsDiffer() throws {
        func decode(_ seed: UInt64, _ options: DecodingOptions = .official) throws -> [Int32] {
            var s = try DecodingSession(predictor: predictor, tokens: halfKnown(), condition: .classLabel(2),
                                        options: options, seed: seed)
            return try s.run()
        }
        XCTAssertEqual(try decode(5), try decode(5))
        XCTAssertNotEqual(try decode(5), try decode(6))
        XCTAssertEqual(try decode(5, .halton), try decode(5, .halton))
        // Pinned: the first tokens of a seed-5 decode (catches accidental changes to sampling).
        let pinned = try decode(5)
        XCTAssertEqual(Array(pinned[32..<48]), [29, 21, 23, 16, 46, 51, 8, 49, 34, 29, 14, 28, 9, 60, 39, 60])
        // A drawn seed is reported and replays.
        var drawn = try DecodingSession(predictor: predictor, tokens: halfKnown(), condition: .classLabel(2))
        XCTAssertEqual(try drawn.run(), try decode(drawn.seed))
    }

    func testEarlyStopAndResume() throws {
        var session = try DecodingSession(predictor: predictor, tokens: halfKnown(), condition: .classLabel(1), seed: 3)
        var calls = 0
        XCTAssertThrowsError(try session.run { _ in calls += 1; return calls < 3 }) { error in
            XCTAssertEqual(error as? DecodingError, .cancelled(afterStep: 2))
        }
        XCTAssertFalse(session.isFinished)
        XCTAssertNil(session.result)
        XCTAssertEqual(session.progress.stepsDone, 3)
        // Resuming gives the same tokens as an uninterrupted run.
        let resumed = try session.run()
        var fresh = try DecodingSession(predictor: predictor, tokens: halfKnown(), condition: .classLabel(1), seed: 3)
        XCTAssertEqual(resumed, try fresh.run())
    }

    func testStartStepIsRespected() throws {
        var session = try DecodingSession(predictor: predictor, tokens: halfKnown(), condition: .classLabel(4),
                                          options: .officialEditing, seed: 11)
        XCTAssertEqual(session.nextStep, 2)
        let first = try session.step()
        XCTAssertEqual(first.stepIndex, 2)
        XCTAssertEqual(first.totalSteps, 10)
        // r = 3/12 at the first step run.
        XCTAssertEqual(first.masked, MaskSchedule.cosine.maskLength(step: 2, totalSteps: 12, initialUnknown: 32, unknownNow: 32))
        var steps = 1
        while !session.isFinished { try session.step(); steps += 1 }
        XCTAssertEqual(steps, 10)
    }

    func testHaltonNeverOverwritesKnownTokensAndRevealsAll() throws {
        // Known tokens scattered over the grid.
        var input = [Int32](repeating: predictor.maskTokenID, count: 64)
        for i in stride(from: 0, to: 64, by: 3) { input[i] = Int32(i) }
        for roll in [false, true] {
            var options = DecodingOptions.halton
            options.order = .halton(roll: roll)
            var session = try DecodingSession(predictor: predictor, tokens: input, condition: .classLabel(0),
                                              options: options, seed: 8)
            var previousMasked = Int.max
            while !session.isFinished {
                let p = try session.step()
                for i in stride(from: 0, to: 64, by: 3) { XCTAssertEqual(session.currentTokens[i], Int32(i)) }
                XCTAssertLessThan(p.masked, previousMasked)
                previousMasked = p.masked
            }
            let result = try XCTUnwrap(session.result)
            XCTAssertFalse(result.contains(predictor.maskTokenID))
            for i in stride(from: 0, to: 64, by: 3) { XCTAssertEqual(result[i], Int32(i)) }
        }
    }

    func testHaltonRevealedCounts() {
        // int((1 − arccos(r)/(π/2))·N), at least k + 1, all at the end: 256·(1 − arccos(1/12)/(π/2)) = 13.6.
        XCTAssertEqual(HaltonReveal.revealedCount(step: 0, totalSteps: 12, initialUnknown: 256, schedule: .arccos,
                                                  arithmetic: .compiledOfficial), 13)
        XCTAssertEqual(HaltonReveal.revealedCount(step: 0, totalSteps: 12, initialUnknown: 4, schedule: .arccos,
                                                  arithmetic: .compiledOfficial), 1)
        XCTAssertEqual(HaltonReveal.revealedCount(step: 11, totalSteps: 12, initialUnknown: 256, schedule: .arccos,
                                                  arithmetic: .compiledOfficial), 256)
    }

    func testGuidanceNeedsNullClass() throws {
        var options = DecodingOptions.official
        options.guidance = Guidance(weight: 2)
        XCTAssertThrowsError(try DecodingSession(predictor: predictor, tokens: halfKnown(), condition: .classLabel(0),
                                                 options: options, seed: 1)) {
            XCTAssertEqual($0 as? DecodingError, .guidanceUnavailable)
        }
        XCTAssertThrowsError(try DecodingSession(predictor: predictor, tokens: halfKnown(), condition: .unconditional, seed: 1)) {
            XCTAssertEqual($0 as? DecodingError, .unconditionalUnavailable)
        }
        // With a null class: both conditions per step, through the default batched call.
        var withNull = predictor
        withNull.nullClassID = 74
        let counter = CallCounter()
        var session = try DecodingSession(predictor: CountingPredictor(base: withNull, counter: counter), tokens: halfKnown(),
                                          condition: .classLabel(0), options: options, seed: 1)
        try session.step()
        XCTAssertEqual(counter.conditions, [.classLabel(0), .unconditional])
        _ = try session.run()
        // w = 0 guidance equals no guidance.
        options.guidance = Guidance(weight: 0)
        var a = try DecodingSession(predictor: withNull, tokens: halfKnown(), condition: .classLabel(0), options: options, seed: 4)
        var b = try DecodingSession(predictor: withNull, tokens: halfKnown(), condition: .classLabel(0), seed: 4)
        XCTAssertEqual(try a.run(), try b.run())
    }

    func testTopOneIsGreedy() throws {
        var options = DecodingOptions.official
        options.topK = 1
        var session = try DecodingSession(predictor: predictor, tokens: [Int32](repeating: predictor.maskTokenID, count: 64),
                                          condition: .classLabel(0), options: options, seed: 1)
        try session.step()
        let logits = try predictor.logits(tokens: [Int32](repeating: predictor.maskTokenID, count: 64), condition: .classLabel(0))
        for i in 0..<64 where session.currentTokens[i] != predictor.maskTokenID {
            let row = Array(logits[(i * 64)..<((i + 1) * 64)])
            XCTAssertEqual(Int(session.currentTokens[i]), row.firstIndex(of: row.max()!)!)
        }
    }

    func testSamplerFollowsTheDistribution() {
        // logits log(0.7), log(0.2), log(0.1): frequencies over many uniforms.
        let logits: [Float] = [Foundation.log(0.7), Foundation.log(0.2), Foundation.log(0.1)]
        let sampler = TokenSampler(codebookSize: 3, temperature: 1, topK: nil)
        let source = RandomSource(seed: 2)
        var counts = [0, 0, 0]
        logits.withUnsafeBufferPointer { row in
            for i in 0..<10_000 {
                let d = sampler.sample(row, uniform: source.uniform(at: i))
                counts[Int(d.code)] += 1
                XCTAssertEqual(d.logProb, logits[Int(d.code)], accuracy: 1e-5)
            }
        }
        XCTAssertEqual(Double(counts[0]) / 10_000, 0.7, accuracy: 0.02)
        XCTAssertEqual(Double(counts[2]) / 10_000, 0.1, accuracy: 0.02)
    }

    // Official tie semantics: positions whose confidence equals the cut-off are kept.
    func testConfidenceTiesKeepPositionsAtTheCutOff() {
        let unknown = [Bool](repeating: true, count: 8)
        func remasked(_ logProbs: [Float]) -> Int {
            let context = RevealContext(step: 0, totalSteps: 2, schedule: .linear, arithmetic: .exactDivision,
                                        initialUnknown: 8, unknown: unknown, logProbs: logProbs, noise: RandomSource(seed: 1))
            // τ = 0: confidence = log p; mask_len = floor(8 · 0.5) = 4.
            return ConfidenceReveal(choiceTemperature: 0).remask(context).filter { $0 }.count
        }
        XCTAssertEqual(remasked([-8, -7, -6, -5, -4, -3, -2, -1]), 4)
        XCTAssertEqual(remasked([Float](repeating: -1, count: 8)), 0, "all tied at the cut-off: none re-masked")
        XCTAssertEqual(remasked([-9, -9, -1, -1, -1, -1, -1, -1]), 2, "cut-off −1 at index 4: only the two below")
    }

    func testGuidanceRampAndUnconditional() throws {
        XCTAssertEqual(Guidance(weight: 3, ramp: .linear).weight(step: 5, totalSteps: 12), 1.5)
        XCTAssertEqual(Guidance(weight: 3).weight(step: 0, totalSteps: 12), 3)
        XCTAssertEqual(SamplingTemperature.linear(start: 1, end: 2).value(step: 11, totalSteps: 12), 2)
        var withNull = predictor
        withNull.nullClassID = 74
        var session = try DecodingSession(predictor: withNull, tokens: halfKnown(), condition: .unconditional,
                                          options: DecodingOptions(guidance: Guidance(weight: 2, ramp: .linear)), seed: 2)
        XCTAssertFalse(try session.run().contains(withNull.maskTokenID))
    }

    func testRejectsBadInput() {
        XCTAssertThrowsError(try DecodingSession(predictor: predictor, tokens: [1, 2], condition: .classLabel(0), seed: 1))
        XCTAssertThrowsError(try DecodingSession(predictor: predictor, tokens: halfKnown(), condition: .classLabel(10), seed: 1))
        XCTAssertThrowsError(try DecodingSession(predictor: predictor, tokens: halfKnown(), condition: .classLabel(0),
                                                 options: DecodingOptions(steps: 4, startStep: 4), seed: 1))
    }
}
import Foundation
