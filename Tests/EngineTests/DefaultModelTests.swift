import Editing
import Engine
import Foundation
import ImageCodecs
import XCTest

/// The shipped default model (Models/default): it loads as the server would load it, has the
/// documented shape, and the edits keep their guarantees on it. Skipped only in a checkout
/// without the model.
final class DefaultModelTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Models/default")

    static let model: Result<MaskGITModel, any Error> = Result { try MaskGITModel(directory: directory) }

    private func loaded() throws -> MaskGITModel {
        guard FileManager.default.fileExists(atPath: Self.directory.appendingPathComponent("transformer.safetensors").path) else {
            throw XCTSkip("no default model at \(Self.directory.path)")
        }
        return try Self.model.get()
    }

    func testShapeClassesAndNullClass() throws {
        let model = try loaded()
        XCTAssertEqual(model.nativeSize, 64)
        XCTAssertTrue(model.hasNullClass, "the project's models are trained with a null class")
        XCTAssertTrue(model.classNames.contains("Animals & Nature"), "classes are the Unicode emoji groups: \(model.classNames)")
        XCTAssertFalse(model.classNames.contains("Component"))
    }

    func testInpaintOnTheExampleKeepsPixelsOutsideTheBand() throws {
        let model = try loaded()
        let editor = try model.editor()
        let root = Self.directory.deletingLastPathComponent().deletingLastPathComponent()
        let image = try ImageDecoder.decode(Data(contentsOf: root.appendingPathComponent("Examples/images/cat.png")))
        let mask = PixelMask(width: 64, height: 64, rectangles: [PixelRect(x: 20, y: 24, width: 24, height: 16)])
        let result = try editor.apply(InpaintEdit(image: image, mask: mask, condition: .classLabel(0), featherRadius: 2, seed: 3))
        let again = try editor.apply(InpaintEdit(image: image, mask: mask, condition: .classLabel(0), featherRadius: 2, seed: 3))
        XCTAssertEqual(result.image.pixels, again.image.pixels, "same seed, same bytes")
        let band = Int((3 * result.featherRadius).rounded(.up)) + 1
        let touched = EditsOnTinyModelTests.touched(result, stride: model.tokenizer.tokenStride, band: band, width: 64, height: 64)
        for p in 0..<(64 * 64) where !touched[p] {
            XCTAssertEqual(Array(result.image.pixels[(p * 3)..<(p * 3 + 3)]), Array(image.pixels[(p * 3)..<(p * 3 + 3)]))
        }
        XCTAssertNotEqual(result.image.pixels, image.pixels, "the masked region was regenerated")
    }

    func testGuidedAndUnconditionalGeneration() throws {
        let model = try loaded()
        let editor = try model.editor()
        var options = DecodingOptions.official
        options.guidance = Guidance(weight: 2)
        let guided = try editor.apply(GenerateEdit(condition: .classLabel(2), decoding: options, seed: 1))
        XCTAssertEqual(guided.image.width, 64)
        let unconditional = try editor.apply(GenerateEdit(condition: .unconditional, seed: 1))
        XCTAssertEqual(unconditional.image.height, 64)
        let outpainted = try editor.apply(OutpaintEdit(image: guided.image, margins: EdgeInsets(right: 128), condition: .classLabel(2), seed: 2))
        XCTAssertEqual(outpainted.image.width, 192)
    }
}
