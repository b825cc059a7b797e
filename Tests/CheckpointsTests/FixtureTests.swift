// Loads the tiny golden fixtures (Tests/EngineTests/Fixtures/tiny, produced by
// `.venv/bin/python Training/maskgit_reference/make_fixtures.py`) in both formats.

import Foundation
import Tensors
import XCTest
@testable import Checkpoints

/// The fixture folder, found from this file's path (no package resources needed).
let tinyFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()          // CheckpointsTests
    .deletingLastPathComponent()          // Tests
    .appendingPathComponent("EngineTests/Fixtures/tiny")

func fixture(_ name: String) -> URL { tinyFixtures.appendingPathComponent(name) }

final class FixtureTests: XCTestCase {
    func testMsgpackAndSafetensorsHoldIdenticalTensors() throws {
        for net in ["tokenizer", "transformer"] {
            let flax = try WeightStore.open(fixture("\(net).msgpack"))
            let st = try WeightStore.open(fixture("\(net).safetensors"))
            XCTAssertEqual(flax.format, .flaxMsgpack)
            XCTAssertEqual(st.format, .safetensors)
            XCTAssertEqual(flax.keys, st.keys, net)
            XCTAssertFalse(flax.keys.isEmpty)
            for key in flax.keys {
                XCTAssertEqual(flax.dtype(of: key), .float32)
                let shape = try XCTUnwrap(flax.shape(of: key))
                XCTAssertEqual(st.shape(of: key), shape, key)
                let a = try flax.take(key, shape: shape)
                let b = try st.take(key, shape: shape)
                XCTAssertEqual(a.storage.map(\.bitPattern), b.storage.map(\.bitPattern), key)
            }
            XCTAssertNoThrow(try flax.finish())
            XCTAssertNoThrow(try st.finish())
        }
    }

    func testOfficialTreeNamesAndShapes() throws {
        let tok = try WeightStore.open(fixture("tokenizer.msgpack"))
        XCTAssertEqual(tok.shape(of: "encoder/Conv_0/kernel"), [3, 3, 3, 32])
        XCTAssertFalse(tok.has("encoder/Conv_0/bias"))
        XCTAssertEqual(tok.shape(of: "encoder/ResBlock_4/Conv_2/kernel"), [1, 1, 64, 64])
        XCTAssertEqual(tok.shape(of: "decoder/ResBlock_4/Conv_2/kernel"), [1, 1, 32, 32])
        XCTAssertEqual(tok.shape(of: "quantizer/codebook"), [64, 16])
        XCTAssertEqual(tok.keys(withPrefix: "encoder/ResBlock_").filter { $0.hasSuffix("Conv_0/kernel") }.count, 8)
        XCTAssertEqual(tok.keys(withPrefix: "decoder/Conv_").count, 8)  // Conv_0..Conv_3, kernel+bias
        XCTAssertTrue(tok.metadata.isEmpty)

        let trf = try WeightStore.open(fixture("transformer.safetensors"))
        XCTAssertEqual(trf.shape(of: "TransformerLayer_1/Attention_0/self_attention/query/kernel"), [32, 4, 8])
        XCTAssertEqual(trf.shape(of: "TransformerLayer_1/Attention_0/self_attention/out/kernel"), [4, 8, 32])
        XCTAssertEqual(trf.shape(of: "MlmLayer_0/mlm_bias/bias"), [75])
        XCTAssertEqual(trf.metadata["format"], "maskgit-rpc/1")
        XCTAssertEqual(trf.metadata["network"], "transformer")
        let vocab = try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(trf.metadata["vocabulary"]).utf8)) as? [String: Any]
        XCTAssertEqual(vocab?["mask_token_id"] as? Int, 74)
        XCTAssertTrue(vocab?["null_class_id"] is NSNull)
        let names = try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(trf.metadata["class_names"]).utf8)) as? [String]
        XCTAssertEqual(names?.count, 10)
        let tokMeta = try WeightStore.open(fixture("tokenizer.safetensors")).metadata
        XCTAssertEqual(tokMeta["network"], "vqgan")
        XCTAssertNotNil(tokMeta["config"])
    }

    func testFloat16TokenizerWidensToRoundedValues() throws {
        let f32 = try WeightStore.open(fixture("tokenizer.msgpack"))
        let f16 = try WeightStore.open(fixture("tokenizer-f16.msgpack"))
        XCTAssertEqual(f16.keys, f32.keys)
        for key in f32.keys {
            XCTAssertEqual(f16.dtype(of: key), .float16, key)
            let want = try f32.take(key).storage.map { HalfFloat.float(fromFloat16Bits: HalfFloat.float16Bits(from: $0)) }
            let got = try f16.take(key, shape: try XCTUnwrap(f32.shape(of: key))).storage
            XCTAssertEqual(got.map(\.bitPattern), want.map(\.bitPattern), key)
        }
        XCTAssertNoThrow(try f16.finish())
    }

    func testBFloat16TransformerWidensToRoundedValues() throws {
        let f32 = try WeightStore.open(fixture("transformer.msgpack"))
        let bf16 = try WeightStore.open(fixture("transformer-bf16.msgpack"))
        XCTAssertEqual(bf16.keys, f32.keys)
        for key in f32.keys {
            XCTAssertEqual(bf16.dtype(of: key), .bfloat16, key)
            let want = try f32.take(key).storage.map { HalfFloat.float(fromBFloat16Bits: HalfFloat.bfloat16Bits(from: $0)) }
            let got = try bf16.take(key).storage
            XCTAssertEqual(got.map(\.bitPattern), want.map(\.bitPattern), key)
        }
    }

    func testExpectedArrays() throws {
        let e = try WeightStore.open(fixture("expected.safetensors"))
        XCTAssertEqual(try e.take("image", shape: [1, 16, 16, 3]).count, 768)
        XCTAssertEqual(e.shape(of: "latents"), [1, 4, 4, 16])
        XCTAssertEqual(e.shape(of: "odd/decoded"), [1, 24, 16, 3])
        XCTAssertEqual(e.dtype(of: "token_ids"), .int32)
        let ids = try e.takeIntegers("token_ids")
        XCTAssertEqual(ids.shape, [1, 4, 4])
        XCTAssertTrue(ids.values.allSatisfy { (0..<64).contains($0) })
        let tokens = try e.takeIntegers("transformer/tokens")
        XCTAssertEqual(tokens.shape, [1, 17])
        XCTAssertEqual(tokens.values.first, 67)
        XCTAssertEqual(tokens.values.filter { $0 == 74 }.count, 5)
        XCTAssertEqual(e.shape(of: "transformer/logits"), [1, 17, 75])
        XCTAssertThrowsError(try e.take("token_ids")) { error in
            guard case CheckpointError.unsupportedDType(let name, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "token_ids")
        }
        XCTAssertThrowsError(try e.takeIntegers("image"))
    }

    func testSniffFixtures() throws {
        XCTAssertEqual(try CheckpointFormat.sniff(url: fixture("tokenizer.msgpack")), .flaxMsgpack)
        XCTAssertEqual(try CheckpointFormat.sniff(url: fixture("transformer-bf16.msgpack")), .flaxMsgpack)
        XCTAssertEqual(try CheckpointFormat.sniff(url: fixture("tokenizer.safetensors")), .safetensors)
        XCTAssertEqual(try CheckpointFormat.sniff(url: fixture("expected.safetensors")), .safetensors)
        XCTAssertThrowsError(try CheckpointFormat.sniff(url: fixture("README.md")))
        XCTAssertThrowsError(try WeightStore.open(fixture("README.md"))) { error in
            guard case CheckpointError.unknownFormat = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try WeightStore.open(fixture("no-such-file"))) { error in
            guard case CheckpointError.io = error else { return XCTFail("\(error)") }
        }
    }

    /// The Swift writer reproduces the Python writer byte for byte (same JSON, same order).
    func testConvertMsgpackToSafetensorsMatchesPythonBytes() throws {
        for net in ["tokenizer", "transformer"] {
            let metadata = try WeightStore.open(fixture("\(net).safetensors")).metadata
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(net)-\(UUID().uuidString).safetensors")
            defer { try? FileManager.default.removeItem(at: out) }
            let store = try WeightStore.open(fixture("\(net).msgpack"))
            try SafetensorsWriter.convert(store, to: out, metadata: metadata)
            XCTAssertNoThrow(try store.finish())
            XCTAssertEqual(try Data(contentsOf: out), try Data(contentsOf: fixture("\(net).safetensors")), net)
        }
    }
}
