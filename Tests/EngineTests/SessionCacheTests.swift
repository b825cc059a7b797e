import Editing
import Engine
import Foundation
import ImageCodecs
import Synchronization
import XCTest

/// The token cache a session keeps: once an image is tokenized, edits encode nothing again.
final class SessionCacheTests: XCTestCase {
    /// Counts encoder passes of the real tiny tokenizer.
    final class CountingTokenizer: ImageTokenizer {
        let base: NetworkTokenizer
        let encodes = Atomic<Int>(0)
        init(_ base: NetworkTokenizer) { self.base = base }
        var tokenStride: Int { base.tokenStride }
        var nativeSize: Int { base.nativeSize }
        func encode(_ image: PixelBuffer) throws -> TokenGrid {
            encodes.add(1, ordering: .relaxed)
            return try base.encode(image)
        }
        func decode(_ grid: TokenGrid) throws -> PixelBuffer { try base.decode(grid) }
    }

    func testEditsOnACachedGridEncodeNothing() throws {
        let model = EditsOnTinyModelTests.model
        let counting = CountingTokenizer(model.tokenizer)
        let editor = try ImageEditor(tokenizer: counting, predictor: model.predictor)
        let image = EditsOnTinyModelTests.picture(width: 40, height: 24)
        let tokens = try editor.tokenize(image)
        XCTAssertEqual(tokens.shape, GridShape(height: 6, width: 10))
        XCTAssertTrue(tokens.isComplete)
        XCTAssertEqual(counting.encodes.load(ordering: .relaxed), 6, "3 x 2 native tiles, each encoded once")

        var current = (image: image, tokens: tokens)
        for (i, rect) in [PixelRect(x: 2, y: 2, width: 6, height: 6), PixelRect(x: 20, y: 10, width: 8, height: 9),
                          PixelRect(x: 30, y: 0, width: 10, height: 4)].enumerated() {
            let mask = PixelMask(width: 40, height: 24, rectangles: [rect])
            let result = try editor.apply(InpaintEdit(image: current.image, mask: mask, condition: .classLabel(i),
                                                      seed: UInt64(i), knownTokens: current.tokens))
            XCTAssertTrue(result.tokens.isComplete, "the grid stays complete after edit \(i)")
            current = (result.image, result.tokens)
        }
        let classEdited = try editor.apply(ClassEdit(image: current.image, box: PixelRect(x: 8, y: 8, width: 8, height: 8),
                                                     targetClass: 4, seed: 5, knownTokens: current.tokens))
        XCTAssertTrue(classEdited.tokens.isComplete)
        XCTAssertEqual(counting.encodes.load(ordering: .relaxed), 6, "no edit re-encoded anything")
    }
}
