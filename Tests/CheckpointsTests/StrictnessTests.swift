// Missing, mis-shaped, unused and mistyped tensors fail with errors that name them; malformed
// safetensors headers fail with typed errors. Files are built in the test with the writer.

import Foundation
import Tensors
import XCTest
@testable import Checkpoints

/// A 2-tensor safetensors file: `a` [2,3] = 0..5, `b/c` [4] = 1..4.
func smallSafetensors(storage: SafetensorsWriter.Storage = .float32,
                      metadata: [String: String] = ["format": "maskgit-rpc/1"]) throws -> [UInt8] {
    var w = SafetensorsWriter(metadata: metadata, storage: storage)
    try w.add("a", Tensor(shape: [2, 3], storage: [0, 1, 2, 3, 4, 5]))
    try w.add("b/c", Tensor(shape: [4], storage: [1, 2, 3, 4]))
    return try w.serialized()
}

/// A safetensors file with a hand-written header (padded to 8) and `data`.
func rawSafetensors(_ header: String, data: [UInt8]) -> [UInt8] {
    var json = Array(header.utf8)
    while json.count % 8 != 0 { json.append(0x20) }
    var out: [UInt8] = []
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
    return out + json + data
}

final class StrictnessTests: XCTestCase {
    func testTakeAndFinish() throws {
        let store = try WeightStore(bytes: try smallSafetensors())
        XCTAssertEqual(store.keys, ["a", "b/c"])
        XCTAssertEqual(store.keys(withPrefix: "b/"), ["b/c"])
        XCTAssertTrue(store.has("a"))
        XCTAssertFalse(store.has("b"))
        XCTAssertEqual(store.shape(of: "a"), [2, 3])
        XCTAssertNil(store.shape(of: "zz"))
        XCTAssertEqual(try store.take("a", shape: [2, 3]).storage, [0, 1, 2, 3, 4, 5])
        XCTAssertThrowsError(try store.finish()) { error in
            XCTAssertEqual(error as? CheckpointError, .unusedTensors(["b/c"]))
            XCTAssertTrue("\(error)".contains("b/c"))
        }
        XCTAssertEqual(store.untakenKeys, ["b/c"])
        _ = try store.take("b/c", shape: [4])
        XCTAssertNoThrow(try store.finish())
    }

    func testMissingTensorIsNamed() throws {
        let store = try WeightStore(bytes: try smallSafetensors())
        XCTAssertThrowsError(try store.take("encoder/Conv_0/kernel", shape: [3, 3, 3, 32])) { error in
            XCTAssertEqual(error as? CheckpointError, .missingTensor("encoder/Conv_0/kernel"))
            XCTAssertEqual("\(error)", "missing tensor encoder/Conv_0/kernel")
        }
    }

    func testShapeMismatchNamesBothShapes() throws {
        let store = try WeightStore(bytes: try smallSafetensors())
        XCTAssertThrowsError(try store.take("a", shape: [3, 2])) { error in
            XCTAssertEqual(error as? CheckpointError, .shapeMismatch(name: "a", expected: [3, 2], actual: [2, 3]))
            XCTAssertEqual("\(error)", "tensor a: expected shape [3, 2], file has [2, 3]")
        }
        // A failed take does not count as taken.
        XCTAssertEqual(store.untakenKeys, ["a", "b/c"])
    }

    func testUnsupportedDTypeIsNamed() throws {
        let bytes = rawSafetensors(#"{"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8))
        XCTAssertThrowsError(try WeightStore(bytes: bytes)) { error in
            XCTAssertEqual(error as? CheckpointError, .unsupportedDType(name: "w", dtype: "F64"))
        }
    }

    func testMalformedSafetensorsHeaders() throws {
        let four = [UInt8](repeating: 0, count: 4)
        let cases: [(String, [UInt8], String)] = [
            (#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, four, "needs 8 bytes"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}"#, four, "outside"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, four + four, "outside"),
            (#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, four, "shape"),
            (#"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, four, "shape"),
            (#"{"w":{"dtype":"F32","shape":[1]}}"#, four, "data_offsets"),
            (#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, four, "dtype"),
            (#"{"u":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, four + four, "overlap"),
            (#"{"u":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, four + four, "gap"),
            (#"{"u":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, four + four, "after the last"),
            (#"{"__metadata__":{"k":1},"u":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, four, "not a string"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#, four, "JSON"),
            (#"[1,2]"#, four, "'{'"),
            (#"{"w":{"dtype":"F32","shape":[9223372036854775807,9223372036854775807],"data_offsets":[0,4]}}"#, four, "shape"),
        ]
        for (header, data, fragment) in cases {
            XCTAssertThrowsError(try WeightStore(bytes: rawSafetensors(header, data: data), format: .safetensors), header) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(header): \(error)")
            }
        }
    }

    func testHeaderLengthBounds() throws {
        var huge: [UInt8] = []
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { huge.append(contentsOf: $0) }
        huge += Array("{}".utf8)
        XCTAssertThrowsError(try WeightStore(bytes: huge, format: .safetensors)) { error in
            XCTAssertEqual(error as? CheckpointError, .headerTooLarge(length: 1 << 40, limit: SafetensorsReader.maxHeaderLength))
        }
        var long: [UInt8] = []
        withUnsafeBytes(of: UInt64(1000).littleEndian) { long.append(contentsOf: $0) }
        long += Array("{}".utf8)
        XCTAssertThrowsError(try WeightStore(bytes: long, format: .safetensors)) { error in
            XCTAssertEqual(error as? CheckpointError, .truncated(offset: 8, needed: 1000))
        }
        XCTAssertThrowsError(try WeightStore(bytes: [1, 2, 3], format: .safetensors))
        XCTAssertThrowsError(try WeightStore(bytes: [])) { error in
            guard case CheckpointError.unknownFormat = error else { return XCTFail("\(error)") }
        }
    }

    func testEmptySafetensorsIsValid() throws {
        let store = try WeightStore(bytes: rawSafetensors("{}", data: []))
        XCTAssertTrue(store.keys.isEmpty)
        XCTAssertNoThrow(try store.finish())
    }

    func testWriterRejectsBadNames() throws {
        var w = SafetensorsWriter()
        try w.add("x", Tensor(zeros: [1]))
        XCTAssertThrowsError(try w.add("x", Tensor(zeros: [1]))) { error in
            XCTAssertEqual(error as? CheckpointError, .duplicateTensor("x"))
        }
        XCTAssertThrowsError(try w.add("__metadata__", Tensor(zeros: [1])))
        XCTAssertThrowsError(try w.add("", Tensor(zeros: [1])))
        XCTAssertThrowsError(try w.add("ids", shape: [2, 2], int32: [1, 2, 3]))
    }

    func testErrorDescriptions() {
        XCTAssertEqual("\(CheckpointError.truncated(offset: 12, needed: 4))", "checkpoint truncated: needed 4 byte(s) at offset 12")
        let many = (0..<25).map { "t\($0)" }
        let text = "\(CheckpointError.unusedTensors(many))"
        XCTAssertTrue(text.hasPrefix("25 unused tensor(s): t0, t1"))
        XCTAssertTrue(text.hasSuffix("and 5 more"))
    }
}
