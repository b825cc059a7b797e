import Checkpoints
import Engine
import Foundation
import Tensors
import Transformer
import VQGAN
import TestSupport
import XCTest

/// Swift against JAX on the exported default model: the same token ids, decoded pixels and
/// logits (relative error ≤ 1e-4) on the fixed inputs of the fixture written by the training
/// pipeline's export (`python -m maskgit_training export`, see Models/default/MODEL_CARD.md).
/// MASKGIT_PARITY_MODEL / MASKGIT_PARITY_FIXTURE point it at another export (e.g. a test export).
final class DefaultModelParityTests: XCTestCase {
    let tolerance: Float = 1e-4

    private func inputs() throws -> (model: URL, fixture: URL) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let env = ProcessInfo.processInfo.environment
        let model = env["MASKGIT_PARITY_MODEL"].map { URL(fileURLWithPath: $0) } ?? root.appendingPathComponent("Models/default")
        let fixture = env["MASKGIT_PARITY_FIXTURE"].map { URL(fileURLWithPath: $0) }
            ?? root.appendingPathComponent("Tests/EngineTests/Fixtures/default-model/parity.safetensors")
        guard FileManager.default.fileExists(atPath: model.appendingPathComponent("transformer.safetensors").path),
              FileManager.default.fileExists(atPath: fixture.path) else {
            throw XCTSkip("no exported model + parity fixture at \(model.path), \(fixture.path)")
        }
        return (model, fixture)
    }

    func testTokenizerAndTransformerMatchJAX() throws {
        let (dir, fixtureURL) = try inputs()
        let model = try MaskGITModel(directory: dir)
        let fixture = try WeightStore.open(fixtureURL)
        let vqgan = model.tokenizer.network

        let image = unbatched(try fixture.take("input_image"))                                  // [H, W, 3]
        assertClose(try vqgan.latents(image), unbatched(try fixture.take("encoder_output")), tolerance: tolerance, "encoder output")
        let ids = try fixture.takeIntegers("token_ids")
        XCTAssertEqual(try vqgan.encode(image).map(Int.init), ids.values, "token ids")
        assertClose(try vqgan.decode(ids.values.map { Int32($0) }, height: ids.shape[1], width: ids.shape[2]),
                    unbatched(try fixture.take("reconstruction")), tolerance: tolerance, "reconstruction")

        let grid = try fixture.takeIntegers("decode_token_grid")
        assertClose(try vqgan.decode(grid.values.map { Int32($0) }, height: grid.shape[1], width: grid.shape[2]),
                    unbatched(try fixture.take("decoded_pixels")), tolerance: tolerance, "decoded pixels")

        for suffix in ["", "_null"] {
            let tokens = try fixture.takeIntegers("transformer_input\(suffix)").values.map { Int32($0) }
            let logits = try model.predictor.network.logits(tokens)
            assertClose(logits, unbatched(try fixture.take("transformer_logits\(suffix)")), tolerance: tolerance, "logits\(suffix)")
        }
    }
}
