import Checkpoints
import Foundation
import Tensors
import Transformer
import VQGAN
import TestSupport
import XCTest

/// A checkpoint with a missing, extra or mis-shaped tensor fails with an error naming it.
final class StrictLoadingTests: XCTestCase {
    /// Rewrites the tiny tokenizer through `edit` and returns the file.
    private func rewrite(_ name: String, edit: (inout [String: Tensor]) -> Void) throws -> URL {
        let store = try WeightStore.open(tinyFixtures.appendingPathComponent(name))
        var tensors: [String: Tensor] = [:]
        for key in store.keys { tensors[key] = try store.take(key) }
        edit(&tensors)
        var writer = SafetensorsWriter(metadata: [:])
        for key in tensors.keys.sorted() { try writer.add(key, tensors[key]!) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("strict-\(UUID().uuidString).safetensors")
        try writer.write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testMissingTensorIsNamed() throws {
        let url = try rewrite("tokenizer.safetensors") { $0["decoder/ResBlock_3/GroupNorm_1/bias"] = nil }
        XCTAssertThrowsError(try VQGANTokenizer(contentsOf: url)) { error in
            XCTAssertEqual(error as? CheckpointError, .missingTensor("decoder/ResBlock_3/GroupNorm_1/bias"))
        }
    }

    func testExtraTensorIsNamed() throws {
        let url = try rewrite("tokenizer.safetensors") { $0["encoder/extra/kernel"] = Tensor(zeros: [2]) }
        XCTAssertThrowsError(try VQGANTokenizer(contentsOf: url)) { error in
            XCTAssertEqual(error as? CheckpointError, .unusedTensors(["encoder/extra/kernel"]))
        }
    }

    func testMisShapedTensorNamesBothShapes() throws {
        let url = try rewrite("tokenizer.safetensors") { $0["encoder/ResBlock_4/Conv_2/kernel"] = Tensor(zeros: [1, 1, 32, 64]) }
        XCTAssertThrowsError(try VQGANTokenizer(contentsOf: url)) { error in
            XCTAssertEqual(error as? CheckpointError,
                           .shapeMismatch(name: "encoder/ResBlock_4/Conv_2/kernel", expected: [1, 1, 64, 64], actual: [1, 1, 32, 64]))
            XCTAssertTrue("\(error)".contains("encoder/ResBlock_4/Conv_2/kernel"))
        }
    }

    func testTransformerMisShapedBias() throws {
        let url = try rewrite("transformer.safetensors") { $0["MlmLayer_0/mlm_bias/bias"] = Tensor(zeros: [74]) }
        XCTAssertThrowsError(try BidirectionalTransformer(contentsOf: url, codebookSize: 64)) { error in
            XCTAssertEqual(error as? CheckpointError, .shapeMismatch(name: "MlmLayer_0/mlm_bias/bias", expected: [75], actual: [74]))
        }
    }
}
