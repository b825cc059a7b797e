import Checkpoints
import Foundation
import Tensors
import Transformer
import VQGAN
import TestSupport
import XCTest

/// `maskgit-cli convert` (Flax msgpack → safetensors, Docs/Checkpoints.md) on the tiny fixtures:
/// the float32 conversion is byte-identical to the reference writer's safetensors fixture and
/// gives identical outputs; the float16 one stays within tolerance of the reference.
final class ConversionTests: XCTestCase {
    let tinyClassNames = ["tench", "goldfish", "great white shark", "tiger shark", "hammerhead",
                          "electric ray", "stingray", "cock", "hen", "ostrich"]
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("maskgit-conversion-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func convertTokenizer(_ storage: SafetensorsWriter.Storage) throws -> URL {
        let out = scratch.appendingPathComponent("tokenizer-\(storage.rawValue).safetensors")
        let store = try WeightStore.open(tinyFixtures.appendingPathComponent("tokenizer.msgpack"))
        try VQGANTokenizer.convert(store, to: out, storage: storage, imageSize: 16, description: "random-weight parity fixture")
        try store.finish()  // every tensor was written
        return out
    }

    private func convertTransformer(_ storage: SafetensorsWriter.Storage, classNames: [String]?) throws -> URL {
        let out = scratch.appendingPathComponent("transformer-\(storage.rawValue).safetensors")
        let store = try WeightStore.open(tinyFixtures.appendingPathComponent("transformer.msgpack"))
        try BidirectionalTransformer.convert(store, to: out, storage: storage, codebookSize: 64, classNames: classNames,
                                             imageSize: 16, description: "random-weight parity fixture")
        try store.finish()
        return out
    }

    func testFloat32TokenizerIsTheReferenceFileAndGivesIdenticalOutputs() throws {
        let out = try convertTokenizer(.float32)
        // Same names, layouts, metadata JSON and ordering as checkpoint_io.save_safetensors.
        XCTAssertEqual(try Data(contentsOf: out), try Data(contentsOf: tinyFixtures.appendingPathComponent("tokenizer.safetensors")))

        let store = try WeightStore.open(out)
        XCTAssertEqual(store.metadata["format"], "maskgit-rpc/1")
        XCTAssertEqual(store.metadata["network"], "vqgan")
        let original = try VQGANTokenizer(contentsOf: tinyFixtures.appendingPathComponent("tokenizer.msgpack"))
        let converted = try VQGANTokenizer(contentsOf: out)
        XCTAssertEqual(converted.config, original.config)
        let expected = try WeightStore.open(tinyFixtures.appendingPathComponent("expected.safetensors"))
        let image = unbatched(try expected.take("image"))
        XCTAssertEqual(try converted.latents(image), try original.latents(image))
        let ids = try original.encode(image)
        XCTAssertEqual(try converted.encode(image), ids)
        XCTAssertEqual(try converted.decode(ids, height: 4, width: 4), try original.decode(ids, height: 4, width: 4))
    }

    func testFloat32TransformerIsTheReferenceFileAndGivesIdenticalLogits() throws {
        let out = try convertTransformer(.float32, classNames: tinyClassNames)
        XCTAssertEqual(try Data(contentsOf: out), try Data(contentsOf: tinyFixtures.appendingPathComponent("transformer.safetensors")))

        let original = try BidirectionalTransformer(contentsOf: tinyFixtures.appendingPathComponent("transformer.msgpack"), codebookSize: 64)
        let converted = try BidirectionalTransformer(contentsOf: out)   // vocabulary from the metadata
        XCTAssertEqual(converted.vocabulary, original.vocabulary)
        XCTAssertEqual(converted.classNames, tinyClassNames)
        let expected = try WeightStore.open(tinyFixtures.appendingPathComponent("expected.safetensors"))
        let tokens = try expected.takeIntegers("transformer/tokens").values.map { Int32($0) }
        XCTAssertEqual(try converted.logits(tokens), try original.logits(tokens))
    }

    func testWithoutClassNamesTheMetadataHasNone() throws {
        let out = try convertTransformer(.float32, classNames: nil)
        let store = try WeightStore.open(out)
        XCTAssertNil(store.metadata["class_names"])
        XCTAssertEqual(store.metadata["vocabulary"],
                       #"{"class_offset": 64, "codebook_size": 64, "mask_token_id": 74, "null_class_id": null, "num_classes": 10, "vocab_size": 75}"#)
        XCTAssertNil(try BidirectionalTransformer(contentsOf: out).classNames)
    }

    func testWrongClassNameCountIsRejectedAndNoFileIsLeft() throws {
        let out = scratch.appendingPathComponent("bad.safetensors")
        let store = try WeightStore.open(tinyFixtures.appendingPathComponent("transformer.msgpack"))
        XCTAssertThrowsError(try BidirectionalTransformer.convert(store, to: out, codebookSize: 64, classNames: ["a", "b"]))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    func testFloat16FilesAreHalfTheSizeAndStayClose() throws {
        let tokenizerFile = try convertTokenizer(.float16)
        let transformerFile = try convertTransformer(.float16, classNames: tinyClassNames)
        let store = try WeightStore.open(tokenizerFile)
        XCTAssertEqual(store.dtype(of: "quantizer/codebook"), .float16)
        let f32Size = try Data(contentsOf: tinyFixtures.appendingPathComponent("tokenizer.safetensors")).count
        XCTAssertLessThan(Double(try Data(contentsOf: tokenizerFile).count), 0.51 * Double(f32Size))  // the header is not halved

        let expected = try WeightStore.open(tinyFixtures.appendingPathComponent("expected.safetensors"))
        let tokenizer = try VQGANTokenizer(contentsOf: tokenizerFile)
        let image = unbatched(try expected.take("image"))
        assertClose(try tokenizer.latents(image), unbatched(try expected.take("latents")), tolerance: 2e-2, "f16 latents")
        let ids = try expected.takeIntegers("token_ids").values.map { Int32($0) }
        assertClose(try tokenizer.decode(ids, height: 4, width: 4), unbatched(try expected.take("decoded")), tolerance: 5e-2, "f16 decoded")

        let transformer = try BidirectionalTransformer(contentsOf: transformerFile)
        let tokens = try expected.takeIntegers("transformer/tokens").values.map { Int32($0) }
        assertClose(try transformer.logits(tokens), unbatched(try expected.take("transformer/logits")), tolerance: 2e-2, "f16 logits")
    }

    func testClassNamesJSONIsPythonsEnsureASCII() {
        XCTAssertEqual(BidirectionalTransformer.classNamesJSON(["a\"b", "café", "🐟", "tab\t"]),
                       #"["a\"b", "caf\u00e9", "\ud83d\udc1f", "tab\t"]"#)
    }
}
