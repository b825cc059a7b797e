import Checkpoints
import Foundation
import Tensors
import VQGAN
import TestSupport
import XCTest

/// The Swift VQGAN against the numpy reference (float64) on the tiny random-weight model.
/// Tolerances: token ids identical; floats within a relative error of 1e-4 (float32).
final class TokenizerParityTests: XCTestCase {
    let tolerance: Float = 1e-4

    func testConfigIsInferredFromShapes() throws {
        let store = try WeightStore.open(tinyFixtures.appendingPathComponent("tokenizer.msgpack"))
        let config = try VQGANConfig.infer(from: store)
        XCTAssertEqual(config, VQGANConfig(filters: 32, channelMultipliers: [1, 1, 2], numResBlocks: 2,
                                           embeddingDim: 16, codebookSize: 64, numGroups: 32))
        XCTAssertEqual(config.tokenStride, 4)
    }

    func testBothFormatsMatchTheReference() throws {
        let expected = try WeightStore.open(tinyFixtures.appendingPathComponent("expected.safetensors"))
        for file in ["tokenizer.msgpack", "tokenizer.safetensors"] {
            let tokenizer = try VQGANTokenizer(contentsOf: tinyFixtures.appendingPathComponent(file))
            for prefix in ["", "odd/"] {
                let image = unbatched(try expected.take("\(prefix)image"))
                let latents = try tokenizer.latents(image)
                assertClose(latents, unbatched(try expected.take("\(prefix)latents")), tolerance: tolerance, "\(file) \(prefix)latents")
                let ids = try tokenizer.encode(image)
                let expectedIDs = try expected.takeIntegers("\(prefix)token_ids")
                XCTAssertEqual(ids.map(Int.init), expectedIDs.values, "\(file) \(prefix)token ids")
                let h = expectedIDs.shape[1], w = expectedIDs.shape[2]
                let decoded = try tokenizer.decode(expectedIDs.values.map { Int32($0) }, height: h, width: w)
                assertClose(decoded, unbatched(try expected.take("\(prefix)decoded")), tolerance: tolerance, "\(file) \(prefix)decoded")
            }
        }
    }

    func testHalfPrecisionFileLoadsWithTheSameConfig() throws {
        let tokenizer = try VQGANTokenizer(contentsOf: tinyFixtures.appendingPathComponent("tokenizer-f16.msgpack"))
        XCTAssertEqual(tokenizer.config.codebookSize, 64)
        let expected = try WeightStore.open(tinyFixtures.appendingPathComponent("expected.safetensors"))
        // Weights rounded to float16 move the outputs a little; the token ids of this well-separated
        // codebook should mostly survive, and the decode must stay close (5e-2 relative).
        let ids = try expected.takeIntegers("token_ids")
        let decoded = try tokenizer.decode(ids.values.map { Int32($0) }, height: 4, width: 4)
        assertClose(decoded, unbatched(try expected.take("decoded")), tolerance: 5e-2, "f16 decoded")
    }

    func testBadInputsAreTypedErrors() throws {
        let tokenizer = try VQGANTokenizer(contentsOf: tinyFixtures.appendingPathComponent("tokenizer.safetensors"))
        XCTAssertThrowsError(try tokenizer.encode(Tensor(zeros: [10, 16, 3]))) { error in
            XCTAssertEqual(error as? VQGANError, .badImageShape([10, 16, 3], tokenStride: 4))
        }
        XCTAssertThrowsError(try tokenizer.decode([0, 1, 2], height: 2, width: 2)) { error in
            XCTAssertEqual(error as? VQGANError, .badTokenCount(3, height: 2, width: 2))
        }
        XCTAssertThrowsError(try tokenizer.decode([0, 1, 2, 64], height: 2, width: 2)) { error in
            XCTAssertEqual(error as? VQGANError, .tokenOutOfRange(64, codebookSize: 64))
        }
    }
}
