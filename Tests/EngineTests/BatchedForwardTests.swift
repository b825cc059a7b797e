import Editing
import Engine
import XCTest

/// One transformer forward pass over several sequences (guidance's conditional and
/// unconditional pair) gives each sequence the logits of its own pass: the dense layers run over
/// the stacked rows, attention within each sequence.
final class BatchedForwardTests: XCTestCase {
    func check(_ model: MaskGITModel, file: StaticString = #filePath, line: UInt = #line) throws {
        let predictor = model.predictor
        let n = predictor.gridShape.count
        var tokens = (0..<n).map { Int32(($0 * 7) % predictor.codebookSize) }
        for i in stride(from: 0, to: n, by: 3) { tokens[i] = predictor.maskTokenID }
        var conditions: [Conditioning] = [.classLabel(0), .classLabel(predictor.numClasses - 1)]
        if predictor.nullClassID != nil { conditions.append(.unconditional) }
        let batched = try predictor.logits(tokens: tokens, conditions: conditions)
        XCTAssertEqual(batched.count, conditions.count, file: file, line: line)
        for (condition, logits) in zip(conditions, batched) {
            let single = try predictor.logits(tokens: tokens, condition: condition)
            XCTAssertEqual(logits.count, single.count, file: file, line: line)
            let scale = single.map { abs($0) }.max() ?? 1
            let worst = zip(logits, single).map { abs($0 - $1) }.max() ?? 0
            // Same arithmetic per row; only GEMM blocking over more rows may differ (float32).
            XCTAssertLessThanOrEqual(worst, 1e-5 * max(1, scale), "\(condition)", file: file, line: line)
        }
        // The two conditions really differ (the batch is not one sequence repeated).
        XCTAssertNotEqual(batched[0], batched[1], file: file, line: line)
    }

    func testTinyModel() throws { try check(EditsOnTinyModelTests.model) }

    func testDefaultModel() throws { try check(try DefaultModelTests.model.get()) }
}
