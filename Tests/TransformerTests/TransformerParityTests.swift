import Checkpoints
import Foundation
import Tensors
import Transformer
import TestSupport
import XCTest

/// The Swift transformer against the numpy reference (float64) on the tiny random-weight model.
final class TransformerParityTests: XCTestCase {
    let tolerance: Float = 1e-4

    func testConfigAndVocabulary() throws {
        let model = try BidirectionalTransformer(contentsOf: tinyFixtures.appendingPathComponent("transformer.msgpack"), codebookSize: 64)
        XCTAssertEqual(model.config, TransformerConfig(vocabSize: 75, hiddenSize: 32, numLayers: 2, numHeads: 4,
                                                       intermediateSize: 64, maxPositionEmbeddings: 17))
        // The official layout: codes, classes, mask last, no null class.
        XCTAssertEqual(model.vocabulary, Vocabulary(codebookSize: 64, classOffset: 64, numClasses: 10, nullClassID: nil,
                                                    maskTokenID: 74, vocabSize: 75))
        let fromSafetensors = try BidirectionalTransformer(contentsOf: tinyFixtures.appendingPathComponent("transformer.safetensors"))
        XCTAssertEqual(fromSafetensors.vocabulary, model.vocabulary)
        XCTAssertEqual(fromSafetensors.classNames?.count, 10)
    }

    func testBothFormatsMatchTheReferenceLogits() throws {
        let expected = try WeightStore.open(tinyFixtures.appendingPathComponent("expected.safetensors"))
        let tokens = try expected.takeIntegers("transformer/tokens").values.map { Int32($0) }
        let reference = unbatched(try expected.take("transformer/logits"))          // [17, 75]
        for (file, codebook) in [("transformer.msgpack", 64), ("transformer.safetensors", nil)] as [(String, Int?)] {
            let model = try BidirectionalTransformer(contentsOf: tinyFixtures.appendingPathComponent(file), codebookSize: codebook)
            let logits = try model.logits(tokens)
            assertClose(logits, reference, tolerance: tolerance, "\(file) logits")
            // Code logits are the image rows and the first K columns of the full logits.
            let codes = try model.codeLogits(tokens)
            XCTAssertEqual(codes.shape, [16, 64])
            var sliced: [Float] = []
            for row in 1..<17 { sliced += reference.storage[(row * 75)..<(row * 75 + 64)] }
            assertClose(codes, Tensor(shape: [16, 64], storage: sliced), tolerance: tolerance, "\(file) code logits")
        }
    }

    func testBFloat16FileLoads() throws {
        let model = try BidirectionalTransformer(contentsOf: tinyFixtures.appendingPathComponent("transformer-bf16.msgpack"), codebookSize: 64)
        XCTAssertEqual(model.config.numLayers, 2)
    }

    func testBadSequencesAreTypedErrors() throws {
        let model = try BidirectionalTransformer(contentsOf: tinyFixtures.appendingPathComponent("transformer.safetensors"))
        XCTAssertThrowsError(try model.logits([])) { XCTAssertEqual($0 as? TransformerError, .badSequenceLength(0, max: 17)) }
        XCTAssertThrowsError(try model.logits(Array(repeating: 0, count: 18))) {
            XCTAssertEqual($0 as? TransformerError, .badSequenceLength(18, max: 17))
        }
        XCTAssertThrowsError(try model.logits([75])) { XCTAssertEqual($0 as? TransformerError, .tokenOutOfRange(75, vocabSize: 75)) }
    }
}
