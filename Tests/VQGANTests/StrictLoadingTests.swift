import Checkpoints
import Foundation
import Tensors
import TestSupport
import VQGAN
import XCTest

/// A tokenizer checkpoint with a missing, extra or mis-shaped tensor fails with an error naming it.
final class StrictLoadingTests: XCTestCase {
    func testMissingTensorIsNamed() throws {
        let url = try rewrittenTinyFixture("tokenizer.safetensors") { $0["decoder/ResBlock_3/GroupNorm_1/bias"] = nil }
        XCTAssertThrowsError(try VQGANTokenizer(contentsOf: url)) { error in
            XCTAssertEqual(error as? CheckpointError, .missingTensor("decoder/ResBlock_3/GroupNorm_1/bias"))
        }
    }

    func testExtraTensorIsNamed() throws {
        let url = try rewrittenTinyFixture("tokenizer.safetensors") { $0["encoder/extra/kernel"] = Tensor(zeros: [2]) }
        XCTAssertThrowsError(try VQGANTokenizer(contentsOf: url)) { error in
            XCTAssertEqual(error as? CheckpointError, .unusedTensors(["encoder/extra/kernel"]))
        }
    }

    func testMisShapedTensorNamesBothShapes() throws {
        let url = try rewrittenTinyFixture("tokenizer.safetensors") { $0["encoder/ResBlock_4/Conv_2/kernel"] = Tensor(zeros: [1, 1, 32, 64]) }
        XCTAssertThrowsError(try VQGANTokenizer(contentsOf: url)) { error in
            XCTAssertEqual(error as? CheckpointError,
                           .shapeMismatch(name: "encoder/ResBlock_4/Conv_2/kernel", expected: [1, 1, 64, 64], actual: [1, 1, 32, 64]))
            XCTAssertTrue("\(error)".contains("encoder/ResBlock_4/Conv_2/kernel"))
        }
    }
}
