// Truncated and corrupted files give errors, never crashes or huge allocations; the writer
// round-trips F32, F16, I32 and metadata.

import Foundation
import Tensors
import XCTest
@testable import Checkpoints

final class RobustnessTests: XCTestCase {
    private func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: fixture(name))) }

    /// Loads and, if that succeeds, takes every tensor: must not crash whatever the bytes.
    private func exercise(_ data: [UInt8]) -> Bool {
        guard let store = try? WeightStore(bytes: data) else { return false }
        for key in store.keys {
            if store.dtype(of: key)?.isFloatingPoint == true { _ = try? store.take(key) } else { _ = try? store.takeIntegers(key) }
        }
        return true
    }

    func testTruncationAtManyOffsetsAlwaysThrows() throws {
        for name in ["transformer.msgpack", "transformer.safetensors", "transformer-bf16.msgpack", "expected.safetensors"] {
            let full = try bytes(name)
            XCTAssertTrue(exercise(full), name)
            var cuts = Array(0..<min(full.count, 2048))
            cuts += stride(from: 2048, to: full.count, by: 97)
            cuts.append(full.count - 1)
            for cut in cuts {
                XCTAssertThrowsError(try WeightStore(bytes: Array(full[0..<cut])), "\(name) cut at \(cut)")
            }
        }
    }

    func testFlippedBytesNeverCrash() throws {
        for name in ["transformer.msgpack", "transformer.safetensors", "expected.safetensors"] {
            let full = try bytes(name)
            // Every byte of the structure-heavy start, then a stride through the rest.
            var positions = Array(0..<min(full.count, 4096))
            positions += stride(from: 4096, to: full.count, by: 61)
            var loaded = 0
            for p in positions {
                for mask: UInt8 in [0xFF, 0x01, 0x80] {
                    var damaged = full
                    damaged[p] ^= mask
                    if exercise(damaged) { loaded += 1 }
                }
            }
            // Flips inside tensor data still load; flips in the structure mostly do not.
            XCTAssertGreaterThan(loaded, 0, name)
            XCTAssertLessThan(loaded, positions.count * 3, name)
        }
    }

    func testWriterRoundTripF32F16IntsAndMetadata() throws {
        let values: [Float] = [0, 1, -2.5, 65504, 1e-8, 0x1p-24, .infinity, 3.14159]
        let metadata = ["format": "maskgit-rpc/1", "config": #"{"a": [1, 2], "q": "x\"y\\z\n"}"#, "ünï": "cødé/ \u{01}"]
        for storage in [SafetensorsWriter.Storage.float32, .float16] {
            var w = SafetensorsWriter(metadata: metadata, storage: storage)
            try w.add("enc/w", Tensor(shape: [2, 4], storage: values))
            try w.add("ids", shape: [3], int32: [5, -1, Int32.max])
            try w.add("empty", Tensor(shape: [0, 3], storage: []))
            let file = try w.serialized()
            XCTAssertEqual(file.count % 2, 0)
            let store = try WeightStore(bytes: file)
            XCTAssertEqual(store.metadata, metadata)
            XCTAssertEqual(store.keys, ["empty", "enc/w", "ids"])
            XCTAssertEqual(store.dtype(of: "enc/w"), storage == .float16 ? .float16 : .float32)
            let got = try store.take("enc/w", shape: [2, 4]).storage
            let want = storage == .float32 ? values : values.map { HalfFloat.float(fromFloat16Bits: HalfFloat.float16Bits(from: $0)) }
            XCTAssertEqual(got.map(\.bitPattern), want.map(\.bitPattern))
            XCTAssertEqual(try store.takeIntegers("ids").values, [5, -1, Int(Int32.max)])
            XCTAssertEqual(try store.take("empty", shape: [0, 3]).count, 0)
            XCTAssertNoThrow(try store.finish())
        }
    }

    func testWriterFileRoundTripThroughDisk() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        var w = SafetensorsWriter(metadata: ["network": "vqgan"], storage: .float16)
        try w.add("k", Tensor(shape: [3], storage: [1, 2, 3]))
        try w.write(to: url)
        let store = try WeightStore.open(url)
        XCTAssertEqual(store.format, .safetensors)
        XCTAssertEqual(try store.take("k", shape: [3]).storage, [1, 2, 3])
        XCTAssertEqual(store.metadata["network"], "vqgan")
    }

    func testConvertToFloat16() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let source = try WeightStore.open(fixture("transformer.msgpack"))
        try SafetensorsWriter.convert(source, to: url, metadata: ["network": "transformer"], storage: .float16)
        let converted = try WeightStore.open(url)
        let reference = try WeightStore.open(fixture("transformer.msgpack"))
        XCTAssertEqual(converted.keys, reference.keys)
        for key in reference.keys {
            let want = try reference.take(key).storage.map { HalfFloat.float(fromFloat16Bits: HalfFloat.float16Bits(from: $0)) }
            XCTAssertEqual(try converted.take(key).storage.map(\.bitPattern), want.map(\.bitPattern), key)
        }
    }
}
