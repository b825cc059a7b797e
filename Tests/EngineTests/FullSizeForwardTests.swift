import Checkpoints
import Foundation
import Tensors
import Transformer
import VQGAN
import TestSupport
import XCTest

/// The official-shaped 256 or 512 pair (random weights, 54.5M + 172.5M / 173.0M parameters)
/// against the numpy reference, opt-in (too big for every test run): runs only when `MASKGIT_FULLSIZE_DIR`
/// names the directory written by
///
///     .venv/bin/python Training/maskgit_reference/make_fixtures.py --full-size runs/fullsize
///     MASKGIT_FULLSIZE_DIR=runs/fullsize swift test -c release -Xswiftc -enable-testing --filter FullSizeForwardTests
///
/// and for the 512 shapes (32x32 tokens, 1025 positions; the size is read from the stored image):
///
///     .venv/bin/python Training/maskgit_reference/make_fixtures.py --full-size runs/fullsize512 --image-size 512
///     MASKGIT_FULLSIZE_DIR=runs/fullsize512 swift test -c release -Xswiftc -enable-testing --filter FullSizeForwardTests
///
/// It loads the Flax msgpack pair (the official format; the script names the files
/// `tokenizer.msgpack` and `transformer.msgpack`, not the official `*_imagenet256_checkpoint`),
/// runs one forward pass of each network on the stored input and compares with the stored
/// reference (relative error 1e-4, token ids identical). It prints load time, per-pass times
/// and the peak RSS (`VmHWM`), and checks the peak after loading both networks stays under
/// 1.3x the float32 weight bytes.
final class FullSizeForwardTests: XCTestCase {
    static let environmentVariable = "MASKGIT_FULLSIZE_DIR"
    let tolerance: Float = 1e-4

    func testOfficialShapedPairMatchesTheReference() throws {
        guard let path = ProcessInfo.processInfo.environment[Self.environmentVariable], !path.isEmpty else {
            throw XCTSkip("set \(Self.environmentVariable) to the make_fixtures.py --full-size directory to run")
        }
        // Relative to the package root, or absolute (as CheckpointsTests/FullSizeTests).
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(path)
        // Reset the peak (VmHWM) to the current RSS, so earlier tests in the process do not count.
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        let rssBefore = Self.status("VmRSS")
        var clock = Date()
        let tokenizer = try VQGANTokenizer(contentsOf: dir.appendingPathComponent("tokenizer.msgpack"))
        let tokenizerLoad = Date().timeIntervalSince(clock)
        clock = Date()
        let transformer = try BidirectionalTransformer(contentsOf: dir.appendingPathComponent("transformer.msgpack"),
                                                       codebookSize: tokenizer.config.codebookSize)
        let transformerLoad = Date().timeIntervalSince(clock)
        let peakAfterLoad = Self.status("VmHWM")
        let expected = try WeightStore.open(dir.appendingPathComponent("expected.safetensors"))
        let image = unbatched(try expected.take("image"))                          // [S, S, 3], S = 256 or 512
        let size = image.shape[0], grid = size / 16
        XCTAssertTrue(size == 256 || size == 512, "official sizes are 256 and 512, got \(size)")
        XCTAssertEqual(tokenizer.config, .official)
        XCTAssertEqual(transformer.config, TransformerConfig(vocabSize: 2025, hiddenSize: 768, numLayers: 24, numHeads: 16,
                                                             intermediateSize: 3072, maxPositionEmbeddings: grid * grid + 1))
        let parameters = [dir.appendingPathComponent("tokenizer.msgpack"), dir.appendingPathComponent("transformer.msgpack")]
            .map { url -> Int in
                let store = try? WeightStore.open(url)
                return (store?.keys ?? []).reduce(0) { $0 + (store?.shape(of: $1)?.reduce(1, *) ?? 0) }
            }
            .reduce(0, +)
        let weightBytes = parameters * MemoryLayout<Float>.size

        clock = Date()
        let latents = try tokenizer.latents(image)
        let encodeTime = Date().timeIntervalSince(clock)
        assertClose(latents, unbatched(try expected.take("latents")), tolerance: tolerance, "full-size latents")
        let expectedIDs = try expected.takeIntegers("token_ids")
        XCTAssertEqual(tokenizer.quantizer.encode(latents).map(Int.init), expectedIDs.values, "full-size token ids")

        clock = Date()
        let decoded = try tokenizer.decode(expectedIDs.values.map { Int32($0) }, height: grid, width: grid)
        let decodeTime = Date().timeIntervalSince(clock)
        assertClose(decoded, unbatched(try expected.take("decoded")), tolerance: tolerance, "full-size decoded")

        let tokens = try expected.takeIntegers("transformer/tokens").values.map { Int32($0) }
        clock = Date()
        let logits = try transformer.logits(tokens)
        let passTime = Date().timeIntervalSince(clock)
        assertClose(logits, unbatched(try expected.take("transformer/logits")), tolerance: tolerance, "full-size logits")
        let peak = Self.status("VmHWM")

        func mb(_ bytes: Int) -> String { String(format: "%.0f MiB", Double(bytes) / 1_048_576) }
        func s(_ t: TimeInterval) -> String { String(format: "%.2f s", t) }
        print("""
            full size \(size): \(parameters) parameters, float32 weight bytes \(mb(weightBytes)); BLAS threads \(BLAS.threads)
              load: tokenizer \(s(tokenizerLoad)), transformer \(s(transformerLoad))
              passes: encode (latents) \(s(encodeTime)), decode \(s(decodeTime)), transformer (full logits) \(s(passTime))
              RSS before load \(mb(rssBefore)); peak after load \(mb(peakAfterLoad)) = \(String(format: "%.2f", Double(peakAfterLoad) / Double(weightBytes)))x weights; peak overall \(mb(peak)) = \(String(format: "%.2f", Double(peak) / Double(weightBytes)))x weights
            """)
        XCTAssertLessThan(Double(peakAfterLoad), 1.3 * Double(weightBytes), "peak RSS after loading both networks")
    }

    /// A `/proc/self/status` field in bytes (Linux), e.g. `VmHWM` (peak RSS) or `VmRSS`; 0 elsewhere.
    static func status(_ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kb * 1024
    }
}
