import Checkpoints
import Engine
import Foundation
import Transformer
import TestSupport
import XCTest

/// The official checkpoints carry no class names; a model of the official vocabulary layout with
/// 1000 classes is served with the ImageNet-1k names (Sources/Transformer/ImageNetClasses.swift),
/// matched by whole name or any synonym. Fixture: Fixtures/imagenet-shaped (the tiny networks
/// with the transformer widened to 1000 classes, official msgpack under the official file names;
/// `make_fixtures.py --imagenet-shaped`).
final class ImageNetClassNamesTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/imagenet-shaped")

    func testTheListIsTheStandardOrder() {
        XCTAssertEqual(ImageNetClasses.names.count, 1000)
        XCTAssertEqual(ImageNetClasses.wordNetIDs, ImageNetClasses.wordNetIDs.sorted())
        XCTAssertEqual(ImageNetClasses.names[0], "tench, Tinca tinca")
        XCTAssertEqual(ImageNetClasses.names[1], "goldfish, Carassius auratus")
        XCTAssertEqual(ImageNetClasses.names[281], "tabby, tabby cat")
        XCTAssertEqual(ImageNetClasses.wordNetIDs[281], "n02123045")
        XCTAssertEqual(ImageNetClasses.names[207], "golden retriever")
        XCTAssertEqual(ImageNetClasses.names[999], "toilet tissue, toilet paper, bathroom tissue")
    }

    func testAnOfficialShapedModelIsServedWithImageNetNames() throws {
        let model = try MaskGITModel(directory: Self.fixture)
        XCTAssertEqual(model.files.transformer.lastPathComponent, "maskgit_imagenet256_checkpoint")
        XCTAssertEqual(model.predictor.numClasses, 1000)
        XCTAssertFalse(model.hasNullClass)
        XCTAssertEqual(model.classNames, ImageNetClasses.names)
        XCTAssertEqual(model.lookUpClass("tabby cat"), .found(281))
        XCTAssertEqual(model.lookUpClass("Tabby"), .found(281))
        XCTAssertEqual(model.lookUpClass("  TABBY   cat "), .found(281))
        XCTAssertEqual(model.lookUpClass("tabby, tabby cat"), .found(281))
        XCTAssertEqual(model.lookUpClass("golden_retriever"), .found(207))
        XCTAssertEqual(model.lookUpClass("Carassius auratus"), .found(1))
        // A whole name beats a synonym of another class ("cardigan" the jacket, 474, vs the corgi).
        XCTAssertEqual(model.lookUpClass("cardigan"), .found(474))
        XCTAssertEqual(model.lookUpClass("Cardigan Welsh corgi"), .found(264))
        // Two classes are named "crane" (the bird and the machine).
        XCTAssertEqual(model.lookUpClass("crane"), .ambiguous([134, 517]))
        guard case .notFound(let suggestions) = model.lookUpClass("taby cat") else { return XCTFail("a typo matched") }
        XCTAssertEqual(suggestions.first, 281)
    }

    func testNamesInTheFileWinAndOtherLayoutsGetNone() throws {
        // The tiny fixture carries its own ten names; the default model's file carries its nine.
        let tiny = try MaskGITModel(directory: tinyFixtures)
        XCTAssertEqual(tiny.classNames.count, 10)
        XCTAssertEqual(tiny.classNames[1], "goldfish")
        // The tiny msgpack has 10 classes: no ImageNet names, generic ones.
        let msgpack = try MaskGITModel(tokenizerFile: tinyFixtures.appendingPathComponent("tokenizer.msgpack"),
                                       transformerFile: tinyFixtures.appendingPathComponent("transformer.msgpack"))
        XCTAssertEqual(msgpack.classNames, (0..<10).map { "class \($0)" })
        let official = Vocabulary.official(vocabSize: 2025, codebookSize: 1024)
        XCTAssertEqual(ImageNetClasses.officialNames(for: official), ImageNetClasses.names)
        let withNull = Vocabulary(codebookSize: 1024, classOffset: 1024, numClasses: 1000, nullClassID: 2024,
                                  maskTokenID: 2025, vocabSize: 2026)
        XCTAssertNil(ImageNetClasses.officialNames(for: withNull))
    }

    func testConversionWritesTheNames() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("imagenet-shaped-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        let store = try WeightStore.open(Self.fixture.appendingPathComponent("maskgit_imagenet256_checkpoint"))
        try BidirectionalTransformer.convert(store, to: out, codebookSize: 64)
        let converted = try BidirectionalTransformer(contentsOf: out)
        XCTAssertEqual(converted.classNames, ImageNetClasses.names)
        XCTAssertNotNil(try WeightStore.open(out).metadata["class_names"])
    }
}
