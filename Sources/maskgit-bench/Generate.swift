// maskgit-bench --serve-generation: the engine side of scripts/bench_vs_pytorch.py.
//
// Loads a tokenizer + transformer pair once in the chosen precision, then for every line read on
// stdin runs one 8-step class-conditional generation with top-1 (greedy) choices, as the peer
// does: per step one transformer pass (class token + the current tokens → code logits), each
// masked position takes its argmax code, and the most confident ones (softmax max) are revealed
// as the cosine schedule says; then the decoder turns the tokens into pixels. It answers one JSON
// line per round with the wall and process CPU seconds of each phase, the token ids, and
// (with "dump PATH" as the line) the decoded pixels written as raw little-endian float32.
// "logits PATH" writes the first step's code logits instead (for the agreement check);
// "forward IN OUT" reads a token sequence (class token + image tokens, raw little-endian int32)
// and writes its code logits [N, K] (float32), for teacher-forced agreement
// (scripts/bench_greedy_agreement.py); "peak N" times an N x N x N product through the engine's
// GEMM in its precision (oneDNN sgemm in fp32, the prepared bf16 matmul in bf16) and answers
// the best GFLOP per CPU-second of 5, the GEMM floor's peak.
// Greedy choices make both sides deterministic, so their tokens can be compared one by one.

import Foundation
import Tensors
import Transformer
import VQGAN

enum GenerationServer {
    static func run(tokenizer: URL, transformer: URL, steps: Int, label: Int) throws {
        let clock = Date(), cpu0 = Machine.processCPUSeconds()
        let tok = try VQGANTokenizer(contentsOf: tokenizer)
        let net = try BidirectionalTransformer(contentsOf: transformer, codebookSize: tok.config.codebookSize)
        let grid = Int(Double(net.config.imageTokens).squareRoot())
        let ready: [String: Any] = [
            "ready": true, "load_s": Date().timeIntervalSince(clock), "load_cpu_s": Machine.processCPUSeconds() - cpu0,
            "backend": Kernels.backend.rawValue, "isa": Kernels.instructionSet, "precision": Kernels.precision.rawValue,
            "threads": BLAS.threads, "grid": grid, "idle_threads": Kernels.threadWaitPolicy,
        ]
        emit(ready)
        while let line = readLine() {
            let words = line.split(separator: " ", maxSplits: 1).map(String.init)
            if words.first == "quit" { break }
            if words.first == "forward", words.count == 2 {
                let paths = words[1].split(separator: " ").map(String.init)
                guard paths.count == 2 else { emit(["error": "forward IN OUT"]); continue }
                let raw = try Data(contentsOf: URL(fileURLWithPath: paths[0]))
                let tokens = raw.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
                let logits = try net.codeLogits(tokens)
                let data = logits.storage.withUnsafeBufferPointer { Data(buffer: $0) }
                try data.write(to: URL(fileURLWithPath: paths[1]))
                emit(["shape": logits.shape])
                continue
            }
            if words.first == "peak", words.count == 2, let size = Int(words[1]), size > 0 {
                emit(["gflops_per_cpu_s": gemmPeak(size)])
                continue
            }
            if words.first == "logits", words.count == 2 {
                // Code logits [N, K] of the first step (class token + all masks), raw float32.
                let vocabulary = net.vocabulary
                let tokens = [vocabulary.classToken(label)]
                    + [Int32](repeating: Int32(vocabulary.maskTokenID), count: net.config.imageTokens)
                let logits = try net.codeLogits(tokens)
                let data = logits.storage.withUnsafeBufferPointer { Data(buffer: $0) }
                try data.write(to: URL(fileURLWithPath: words[1]))
                emit(["shape": logits.shape])
                continue
            }
            var forward: [Double] = [], forwardCPU: [Double] = []
            let vocabulary = net.vocabulary
            let n = net.config.imageTokens
            let mask = Int32(vocabulary.maskTokenID)
            var tokens = [vocabulary.classToken(label)] + [Int32](repeating: mask, count: n)
            var samplerSeconds = 0.0
            for step in 0..<steps {
                let t0 = Date(), c0 = Machine.processCPUSeconds()
                let logits = try net.codeLogits(tokens)                            // [N, K]
                forward.append(Date().timeIntervalSince(t0))
                forwardCPU.append(Machine.processCPUSeconds() - c0)
                let s0 = Date()
                let k = logits.shape[1]
                var candidates: [(confidence: Float, position: Int, code: Int32)] = []
                logits.storage.withUnsafeBufferPointer { l in
                    for p in 0..<n where tokens[p + 1] == mask {
                        var best = 0
                        for c in 1..<k where l[p * k + c] > l[p * k + best] { best = c }
                        let top = l[p * k + best]
                        var sum: Float = 0
                        for c in 0..<k { sum += exp(l[p * k + c] - top) }
                        candidates.append((1 / sum, p, Int32(best)))
                    }
                }
                let ratio = Double(step + 1) / Double(steps)
                let stillMasked = step == steps - 1 ? 0 : Int((Double(n) * cos(Double.pi / 2 * ratio)).rounded(.up))
                let reveal = max(1, candidates.count - stillMasked)
                candidates.sort { $0.confidence != $1.confidence ? $0.confidence > $1.confidence : $0.position < $1.position }
                for c in candidates.prefix(reveal) { tokens[c.position + 1] = c.code }
                samplerSeconds += Date().timeIntervalSince(s0)
            }
            let ids = Array(tokens.dropFirst())
            let d0 = Date(), dc0 = Machine.processCPUSeconds()
            let pixels = try tok.decode(ids, height: grid, width: grid)
            let decode = Date().timeIntervalSince(d0), decodeCPU = Machine.processCPUSeconds() - dc0
            if words.first == "dump", words.count == 2 {
                let data = pixels.storage.withUnsafeBufferPointer { Data(buffer: $0) }
                try data.write(to: URL(fileURLWithPath: words[1]))
            }
            emit([
                "forward_s": forward, "forward_cpu_s": forwardCPU, "sampler_s": samplerSeconds,
                "decode_s": decode, "decode_cpu_s": decodeCPU, "tokens": ids.map(Int.init),
            ])
        }
    }

    /// Best of 5 GFLOP per CPU-second of an n x n x n product in `Kernels.precision`.
    static func gemmPeak(_ n: Int) -> Double {
        var rng = SeededGenerator(seed: 7)
        let a = Tensor(shape: [n, n], storage: (0..<(n * n)).map { _ in Float.random(in: -1...1, using: &rng) })
        let b = Tensor(shape: [n, n], storage: (0..<(n * n)).map { _ in Float.random(in: -1...1, using: &rng) })
        let prepared = PreparedMatrix(b, precision: Kernels.precision, rowsHint: n)
        _ = Ops.matmul(a, b, prepared: prepared)
        var best = 0.0
        for _ in 0..<5 {
            let c0 = Machine.processCPUSeconds()
            _ = Ops.matmul(a, b, prepared: prepared)
            best = max(best, 2 * Double(n * n * n) / (Machine.processCPUSeconds() - c0) / 1e9)
        }
        return best
    }

    static func emit(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        FileHandle.standardOutput.write(data + Data([0x0A]))  // unbuffered: the driver waits for each line
    }
}
