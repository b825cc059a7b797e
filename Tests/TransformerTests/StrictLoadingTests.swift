import Checkpoints
import Foundation
import Tensors
import TestSupport
import Transformer
import XCTest

/// A transformer checkpoint with a mis-shaped tensor fails with an error naming both shapes.
final class StrictLoadingTests: XCTestCase {
    func testTransformerMisShapedBias() throws {
        let url = try rewrittenTinyFixture("transformer.safetensors") { $0["MlmLayer_0/mlm_bias/bias"] = Tensor(zeros: [74]) }
        XCTAssertThrowsError(try BidirectionalTransformer(contentsOf: url, codebookSize: 64)) { error in
            XCTAssertEqual(error as? CheckpointError, .shapeMismatch(name: "MlmLayer_0/mlm_bias/bias", expected: [75], actual: [74]))
        }
    }
}
