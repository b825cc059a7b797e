import Checkpoints
import Foundation
import Tensors
import Transformer
import VQGAN
import TestSupport
import XCTest

/// The bf16 path (Tensors/Backend.swift: bf16 weights and GEMM inputs, fp32 accumulation) against
/// fp32 on the same weight files, with the bounds of issue 10: token argmax agreement >= 99 %,
/// greedy (top-1) 8-step decodes agreeing on >= 99 % of tokens, decoder PSNR >= 35 dB from the
/// same tokens; the logits' max abs and rms errors are printed, the max abs bounded by 2 % of the
/// largest fp32 logit.
///
/// Runs on the tiny parity fixture always (where oneDNN has bf16), and on the official-shaped
/// random pair when `MASKGIT_FULLSIZE_DIR` names the `make_fixtures.py --full-size` directory:
///
///     MASKGIT_FULLSIZE_DIR=runs/fullsize swift test -c release -Xswiftc -enable-testing \
///         --disable-swift-testing --filter PrecisionTests
final class PrecisionTests: XCTestCase {
    override func tearDown() {
        Kernels.precision = .fp32
        super.tearDown()
    }

    /// Loads `make` once in fp32 and once in bf16.
    private func bothPrecisions<T>(_ make: () throws -> T) rethrows -> (fp32: T, bf16: T) {
        Kernels.precision = .fp32
        let fp32 = try make()
        Kernels.precision = .bf16
        defer { Kernels.precision = .fp32 }
        return (fp32, try make())
    }

    struct LogitErrors: CustomStringConvertible {
        var maxAbs: Float = 0, rms: Float = 0, scale: Float = 0, argmaxAgreement: Double = 0
        var description: String {
            String(format: "logits max abs %.4g, rms %.4g (fp32 logit scale %.3g), argmax agreement %.2f %%",
                   maxAbs, rms, scale, argmaxAgreement * 100)
        }
    }

    static func compare(_ a: Tensor, _ b: Tensor) -> LogitErrors {
        precondition(a.shape == b.shape && a.rank == 2)
        var errors = LogitErrors()
        var sum: Double = 0
        for i in 0..<a.count {
            let d = abs(a.storage[i] - b.storage[i])
            errors.maxAbs = max(errors.maxAbs, d)
            errors.scale = max(errors.scale, abs(a.storage[i]))
            sum += Double(d) * Double(d)
        }
        errors.rms = Float((sum / Double(max(1, a.count))).squareRoot())
        let rows = a.shape[0], cols = a.shape[1]
        var agree = 0
        for r in 0..<rows where argmax(a, row: r, cols: cols) == argmax(b, row: r, cols: cols) { agree += 1 }
        errors.argmaxAgreement = Double(agree) / Double(max(1, rows))
        return errors
    }

    static func argmax(_ t: Tensor, row: Int, cols: Int) -> Int {
        var best = 0
        for c in 1..<cols where t.storage[row * cols + c] > t.storage[row * cols + best] { best = c }
        return best
    }

    /// MaskGIT's iterative decode with top-1 choices: at each of `steps` steps every masked
    /// position takes its argmax code, and the most confident ones (softmax max) are kept, as many
    /// as the cosine schedule unmasks. Deterministic, so two precisions can be compared token by token.
    static func greedyDecode(_ model: BidirectionalTransformer, label: Int, steps: Int = 8) throws -> [Int32] {
        try greedyDecode(model, label: label, steps: steps, teacherForcing: nil).tokens
    }

    /// `greedyDecode`, also running `other` on every step's inputs (teacher forcing: the same
    /// tokens, those of `model`'s trajectory) and counting the masked positions whose argmax
    /// code it chooses alike.
    static func greedyDecode(_ model: BidirectionalTransformer, label: Int, steps: Int = 8,
                             teacherForcing other: BidirectionalTransformer?) throws
        -> (tokens: [Int32], argmaxEqual: Int, argmaxCount: Int) {
        var argmaxEqual = 0, argmaxCount = 0
        let vocabulary = model.vocabulary
        let n = model.config.imageTokens
        let mask = Int32(vocabulary.maskTokenID)
        var tokens = [vocabulary.classToken(label)] + [Int32](repeating: mask, count: n)
        for step in 0..<steps {
            let logits = try model.codeLogits(tokens)                       // [N, K]
            let otherLogits = try other?.codeLogits(tokens)
            let k = logits.shape[1]
            var candidates: [(confidence: Float, position: Int, code: Int32)] = []
            for p in 0..<n where tokens[p + 1] == mask {
                let code = argmax(logits, row: p, cols: k)
                if let otherLogits {
                    argmaxCount += 1
                    if argmax(otherLogits, row: p, cols: k) == code { argmaxEqual += 1 }
                }
                let top = logits.storage[p * k + code]
                var sum: Float = 0
                for c in 0..<k { sum += exp(logits.storage[p * k + c] - top) }
                candidates.append((1 / sum, p, Int32(code)))
            }
            let ratio = Double(step + 1) / Double(steps)
            let stillMasked = step == steps - 1 ? 0 : Int((Double(n) * cos(Double.pi / 2 * ratio)).rounded(.up))
            let reveal = max(1, candidates.count - stillMasked)
            candidates.sort { $0.confidence != $1.confidence ? $0.confidence > $1.confidence : $0.position < $1.position }
            for c in candidates.prefix(reveal) { tokens[c.position + 1] = c.code }
        }
        return (Array(tokens.dropFirst()), argmaxEqual, argmaxCount)
    }

    /// PSNR in dB of `b` against `a`, both clipped to [0, 1] (the decoder's nominal range).
    static func psnr(_ a: Tensor, _ b: Tensor) -> Double {
        var sum: Double = 0
        for i in 0..<a.count {
            let x = Double(min(1, max(0, a.storage[i]))), y = Double(min(1, max(0, b.storage[i])))
            sum += (x - y) * (x - y)
        }
        let mse = sum / Double(max(1, a.count))
        return mse == 0 ? .infinity : 10 * log10(1 / mse)
    }

    /// Share of 8-bit channel values (after clip and rounding to 0...255) that differ by more than 1.
    static func bytesOffByMoreThanOne(_ a: Tensor, _ b: Tensor) -> Double {
        func byte(_ v: Float) -> Int { Int((min(1, max(0, v)) * 255).rounded()) }
        var off = 0
        for i in 0..<a.count where abs(byte(a.storage[i]) - byte(b.storage[i])) > 1 { off += 1 }
        return Double(off) / Double(max(1, a.count))
    }

    private func checkPair(tokenizerURL: URL, transformerURL: URL, codebookSize: Int, grid: Int,
                           fixtureTokens: [Int32]?, label: String, randomSequences: Int,
                           logitBound: Float, boundFreeRunningDecodes: Bool = true) throws {
        try XCTSkipUnless(Kernels.bf16Supported, "oneDNN has no bf16 on this CPU")
        let transformers = try bothPrecisions {
            try BidirectionalTransformer(contentsOf: transformerURL, codebookSize: codebookSize)
        }
        let tokenizers = try bothPrecisions { try VQGANTokenizer(contentsOf: tokenizerURL) }

        // Logits on the fixture's sequence, the all-mask sequence (the first decode step) and
        // `randomSequences` seeded partly masked ones; argmax agreement is over all their rows.
        let vocabulary = transformers.fp32.vocabulary
        let n = transformers.fp32.config.imageTokens
        let mask = Int32(vocabulary.maskTokenID)
        var sequences: [(String, [Int32])] = []
        if let fixtureTokens { sequences.append(("fixture tokens", fixtureTokens)) }
        sequences.append(("all masked", [vocabulary.classToken(1)] + [Int32](repeating: mask, count: n)))
        var rng = SeededGenerator(seed: 10)
        for i in 0..<randomSequences {
            let masked = Double(i + 1) / Double(randomSequences + 1)  // from nearly none to nearly all masked
            sequences.append(("random \(i)", [vocabulary.classToken(i % max(1, vocabulary.numClasses))] + (0..<n).map { _ in
                Double.random(in: 0..<1, using: &rng) < masked ? mask : Int32.random(in: 0..<Int32(vocabulary.codebookSize), using: &rng)
            }))
        }
        var rows = 0, agreeing = 0.0, worst = LogitErrors(), squares = 0.0, values = 0
        for (name, tokens) in sequences {
            let fp32 = try transformers.fp32.logits(tokens), bf16 = try transformers.bf16.logits(tokens)
            let errors = Self.compare(fp32, bf16)
            if name == "fixture tokens" || name == "all masked" { print("\(label) bf16 vs fp32, \(name): \(errors)") }
            rows += fp32.shape[0]
            agreeing += errors.argmaxAgreement * Double(fp32.shape[0])
            squares += Double(errors.rms * errors.rms) * Double(fp32.count)
            values += fp32.count
            worst.maxAbs = max(worst.maxAbs, errors.maxAbs)
            worst.scale = max(worst.scale, errors.scale)
        }
        worst.rms = Float((squares / Double(values)).squareRoot())
        worst.argmaxAgreement = agreeing / Double(rows)
        print("\(label) bf16 vs fp32 over \(sequences.count) sequences (\(rows) rows): \(worst)")
        XCTAssertGreaterThanOrEqual(worst.argmaxAgreement, 0.99, "\(label): \(worst)")
        XCTAssertLessThanOrEqual(worst.maxAbs, logitBound * worst.scale, "\(label): \(worst)")

        // Greedy decodes: free-running (each precision on its own) and teacher-forced (bf16 on the
        // fp32 trajectory's inputs, every masked position's argmax).
        var agree = 0, total = 0, forcedEqual = 0, forcedCount = 0
        for classLabel in [0, 1, 2] {
            let a = try Self.greedyDecode(transformers.fp32, label: classLabel, teacherForcing: transformers.bf16)
            let b = try Self.greedyDecode(transformers.bf16, label: classLabel)
            agree += zip(a.tokens, b).filter { $0 == $1 }.count
            total += a.tokens.count
            forcedEqual += a.argmaxEqual
            forcedCount += a.argmaxCount
        }
        let agreement = Double(agree) / Double(total)
        let forced = Double(forcedEqual) / Double(max(1, forcedCount))
        print(String(format: "\(label) greedy 8-step decodes (3 classes): %.2f %% of tokens agree free-running; "
                     + "teacher-forced argmax %.2f %% of %d choices", agreement * 100, forced * 100, forcedCount))
        XCTAssertGreaterThanOrEqual(forced, 0.99, "\(label) teacher-forced greedy argmax agreement")
        if boundFreeRunningDecodes {
            XCTAssertGreaterThanOrEqual(agreement, 0.99, "\(label) greedy decode agreement")
        }

        // The decoder from the same tokens.
        let ids = try Self.greedyDecode(transformers.fp32, label: 0)
        let pixelsFP32 = try tokenizers.fp32.decode(ids, height: grid, width: grid)
        let pixelsBF16 = try tokenizers.bf16.decode(ids, height: grid, width: grid)
        let quality = Self.psnr(pixelsFP32, pixelsBF16)
        let off = Self.bytesOffByMoreThanOne(pixelsFP32, pixelsBF16)
        print(String(format: "\(label) decoder bf16 vs fp32 from the same tokens: PSNR %.1f dB, %.2f %% of bytes off by more than 1",
                     quality, off * 100))
        XCTAssertGreaterThanOrEqual(quality, 35, "\(label) decoder PSNR")
    }

    func testTinyFixtureInBF16() throws {
        let expected = try WeightStore.open(tinyFixtures.appendingPathComponent("expected.safetensors"))
        let tokens = try expected.takeIntegers("transformer/tokens").values.map { Int32($0) }
        try checkPair(tokenizerURL: tinyFixtures.appendingPathComponent("tokenizer.msgpack"),
                      transformerURL: tinyFixtures.appendingPathComponent("transformer.msgpack"),
                      codebookSize: 64, grid: 4, fixtureTokens: tokens, label: "tiny", randomSequences: 60,
                      logitBound: 0.02)
    }

    func testOfficialShapedPairInBF16() throws {
        guard let path = ProcessInfo.processInfo.environment[FullSizeForwardTests.environmentVariable], !path.isEmpty else {
            throw XCTSkip("set \(FullSizeForwardTests.environmentVariable) to the make_fixtures.py --full-size directory to run")
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(path)
        let expected = try WeightStore.open(dir.appendingPathComponent("expected.safetensors"))
        let tokens = try expected.takeIntegers("transformer/tokens").values.map { Int32($0) }
        try checkPair(tokenizerURL: dir.appendingPathComponent("tokenizer.msgpack"),
                      transformerURL: dir.appendingPathComponent("transformer.msgpack"),
                      codebookSize: 1024, grid: 16, fixtureTokens: tokens, label: "official-256", randomSequences: 4,
                      logitBound: 0.02, boundFreeRunningDecodes: false)
        // Free-running decodes are printed, not bounded, here: on these random weights every masked
        // position's confidence is 1 − 1.2e-6 within ~1e-9 of the others, below float32's
        // resolution near 1, so the reveal order is a tie-break (the relative confidence gap at the reveal boundary is ~2e-9, 4000x
        // below bf16's confidence noise and 30x below float32's): the argmax codes agree 100 %
        // on equal inputs, the free-running token agreement is ~45 % (Docs/Benchmarks.md,
        // scripts/bench_greedy_agreement.py).
    }
}
