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

        // Hard-edged token composites keep every token exact: nothing is encoded again.
        var current = (image: image, tokens: tokens)
        for (i, rect) in [PixelRect(x: 2, y: 2, width: 6, height: 6), PixelRect(x: 20, y: 10, width: 8, height: 9),
                          PixelRect(x: 30, y: 0, width: 10, height: 4)].enumerated() {
            let mask = PixelMask(width: 40, height: 24, rectangles: [rect])
            let result = try editor.apply(InpaintEdit(image: current.image, mask: mask, condition: .classLabel(i), featherRadius: 0,
                                                      composite: .tokens, seed: UInt64(i), knownTokens: current.tokens))
            XCTAssertTrue(result.tokens.isComplete, "the grid stays complete after edit \(i)")
            current = (result.image, result.tokens)
        }
        let box = PixelMask(width: 40, height: 24, rectangles: [PixelRect(x: 8, y: 8, width: 8, height: 8)])
        let classEdited = try editor.apply(ClassEdit(image: current.image, region: box, targetClass: 4, featherRadius: 0,
                                                     seed: 5, knownTokens: current.tokens))
        XCTAssertTrue(classEdited.tokens.isComplete)
        XCTAssertEqual(counting.encodes.load(ordering: .relaxed), 6, "no edit re-encoded anything")
    }

    func testBlendedCellsAreTheOnlyOnesEncodedAgain() throws {
        let model = EditsOnTinyModelTests.model
        let counting = CountingTokenizer(model.tokenizer)
        let editor = try ImageEditor(tokenizer: counting, predictor: model.predictor)
        let image = EditsOnTinyModelTests.picture(width: 16, height: 16)
        let tokens = try editor.tokenize(image)
        // A feathered mask composite leaves cells that are part generated, part kept: those are
        // marked missing, the others keep their tokens.
        let mask = PixelMask(width: 16, height: 16, rectangles: [PixelRect(x: 5, y: 5, width: 6, height: 6)])
        let result = try editor.apply(InpaintEdit(image: image, mask: mask, condition: .classLabel(1), featherRadius: 1,
                                                  seed: 1, knownTokens: tokens))
        let missing = result.tokens.tokens.filter { $0 == TokenGrid.missing }.count
        XCTAssertGreaterThan(missing, 0)
        XCTAssertLessThan(missing, 16)
        XCTAssertEqual(counting.encodes.load(ordering: .relaxed), 1, "the first edit had every token")
        // The same mask again: the blended cells are regenerated anyway, nothing to encode.
        let again = try editor.apply(InpaintEdit(image: result.image, mask: mask, condition: .classLabel(1), seed: 2, knownTokens: result.tokens))
        XCTAssertEqual(counting.encodes.load(ordering: .relaxed), 1)
        // Elsewhere: the blended cells are context now, so the window is encoded once for them.
        let corner = PixelMask(width: 16, height: 16, rectangles: [PixelRect(x: 0, y: 0, width: 2, height: 2)])
        _ = try editor.apply(InpaintEdit(image: again.image, mask: corner, condition: .classLabel(1), seed: 3, knownTokens: again.tokens))
        XCTAssertEqual(counting.encodes.load(ordering: .relaxed), 2, "the next edit encodes the window once for the blended cells")
    }

    /// What session.open now stores: an empty grid. The first edit encodes only its window and
    /// gives exactly the one-shot result; a far edit encodes only its own window; an edit of
    /// an area already encoded encodes nothing.
    func testLazySessionEncodesOnlyTheWindowsEditsNeed() throws {
        let model = EditsOnTinyModelTests.model
        let counting = CountingTokenizer(model.tokenizer)
        let editor = try ImageEditor(tokenizer: counting, predictor: model.predictor)
        let image = EditsOnTinyModelTests.picture(width: 64, height: 48)
        let empty = TokenGrid(width: 16, height: 12)
        let first = PixelMask(width: 64, height: 48, rectangles: [PixelRect(x: 2, y: 2, width: 6, height: 6)])
        func inpaint(_ image: RGBImage, _ mask: PixelMask, _ tokens: TokenGrid?, seed: UInt64) throws -> EditResult {
            try editor.apply(InpaintEdit(image: image, mask: mask, condition: .classLabel(1), featherRadius: 0,
                                         composite: .tokens, seed: seed, knownTokens: tokens))
        }
        let oneShot = try inpaint(image, first, nil, seed: 3)
        XCTAssertEqual(counting.encodes.load(ordering: .relaxed), 1)
        let a = try inpaint(image, first, empty, seed: 3)
        XCTAssertEqual(counting.encodes.load(ordering: .relaxed), 2, "one window, as the one-shot edit")
        XCTAssertEqual(a.image, oneShot.image, "the first session edit is the one-shot edit")
        let known = a.tokens.tokens.filter { $0 != TokenGrid.missing }.count
        XCTAssertEqual(known, 16, "the window's 4x4 tokens are kept, nothing else")

        let far = PixelMask(width: 64, height: 48, rectangles: [PixelRect(x: 44, y: 30, width: 8, height: 8)])
        let b = try inpaint(a.image, far, a.tokens, seed: 4)
        XCTAssertEqual(counting.encodes.load(ordering: .relaxed), 3, "the far edit encodes its own window once")
        XCTAssertEqual(b.tokens.tokens.filter { $0 != TokenGrid.missing }.count, 32)

        let near = PixelMask(width: 64, height: 48, rectangles: [PixelRect(x: 4, y: 4, width: 4, height: 4)])
        _ = try inpaint(b.image, near, b.tokens, seed: 5)
        XCTAssertEqual(counting.encodes.load(ordering: .relaxed), 3, "an area already encoded encodes nothing")
    }
}
