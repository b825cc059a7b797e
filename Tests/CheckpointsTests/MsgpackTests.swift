// The MessagePack decoder and the Flax msgpack reader on hand-built bytes: every marker Flax
// emits, the ext 1 ndarray payload, strictness, and hostile lengths and nesting.

import Foundation
import XCTest
@testable import Checkpoints

/// Minimal MessagePack encoder for building test files.
enum MP {
    static func str(_ s: String) -> [UInt8] {
        let b = Array(s.utf8)
        precondition(b.count < 256)
        return (b.count < 32 ? [0xA0 | UInt8(b.count)] : [0xD9, UInt8(b.count)]) + b
    }
    static func bin(_ b: [UInt8]) -> [UInt8] {
        b.count < 256 ? [0xC4, UInt8(b.count)] + b : [0xC5, UInt8(b.count >> 8), UInt8(b.count & 0xFF)] + b
    }
    static func map(_ pairs: [([UInt8], [UInt8])]) -> [UInt8] {
        [0x80 | UInt8(pairs.count)] + pairs.flatMap { $0.0 + $0.1 }
    }
    static func array(_ items: [[UInt8]]) -> [UInt8] { [0x90 | UInt8(items.count)] + items.flatMap { $0 } }
    static func ext(_ type: UInt8, _ payload: [UInt8]) -> [UInt8] {
        payload.count < 256 ? [0xC7, UInt8(payload.count), type] + payload
            : [0xC8, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF), type] + payload
    }
    /// A Flax ndarray leaf: ext 1 of (shape, dtype, bytes).
    static func ndarray(_ shape: [Int], _ dtype: String, _ data: [UInt8], type: UInt8 = 1) -> [UInt8] {
        ext(type, array([array(shape.map { [UInt8($0)] }), str(dtype), bin(data)]))
    }
    static func f32(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }
}

final class MsgpackTests: XCTestCase {
    func decode(_ bytes: [UInt8]) throws -> MessagePackValue {
        try bytes.withUnsafeBytes { try MessagePackDecoder.decodeWhole(buffer: $0) }
    }

    func testScalarMarkers() throws {
        XCTAssertEqual(try decode([0x05]), .int(5))
        XCTAssertEqual(try decode([0xFF]), .int(-1))
        XCTAssertEqual(try decode([0xC0]), .null)
        XCTAssertEqual(try decode([0xC3]), .bool(true))
        XCTAssertEqual(try decode([0xCC, 0xFF]), .uint(255))
        XCTAssertEqual(try decode([0xCD, 0x01, 0x00]), .uint(256))
        XCTAssertEqual(try decode([0xCF, 0, 0, 0, 1, 0, 0, 0, 0]), .uint(1 << 32))
        XCTAssertEqual(try decode([0xD0, 0x80]), .int(-128))
        XCTAssertEqual(try decode([0xD1, 0xFF, 0x00]), .int(-256))
        XCTAssertEqual(try decode([0xD3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]), .int(-2))
        XCTAssertEqual(try decode([0xCA, 0x3F, 0x80, 0, 0]), .float(1))
        XCTAssertEqual(try decode([0xCB, 0x40, 0, 0, 0, 0, 0, 0, 0]), .float(2))
        XCTAssertEqual(try decode(MP.str("params")), .string("params"))
        XCTAssertEqual(try decode([0xDA, 0, 2, 0x68, 0x69]), .string("hi"))
        XCTAssertEqual(try decode([0xC4, 2, 9, 9]), .binary(2..<4))
        XCTAssertEqual(try decode([0xD4, 3, 7]), .ext(type: 3, payload: 2..<3))
        XCTAssertEqual(try decode([0xD8, 1] + [UInt8](repeating: 0, count: 16)), .ext(type: 1, payload: 2..<18))
        XCTAssertEqual(try decode([0xDC, 0, 2, 1, 2]), .array([.int(1), .int(2)]))
        XCTAssertEqual(try decode([0xDE, 0, 1, 0xA1, 0x6B, 0xC2]),
                       .map([MessagePackPair(key: .string("k"), value: .bool(false))]))
    }

    func testMalformedInputThrows() {
        let cases: [[UInt8]] = [
            [], [0xC1], [0xCD, 0x01], [0xA3, 0x61], [0x92, 0x01],
            [0xC6, 0xFF, 0xFF, 0xFF, 0xFF],          // bin32 claiming 4 GiB
            [0xDD, 0xFF, 0xFF, 0xFF, 0xFF],          // array32 claiming 4 G items: no allocation
            [0xDF, 0x7F, 0xFF, 0xFF, 0xFF, 0x01],    // map32 claiming 2 G pairs
            [0xC9, 0xFF, 0xFF, 0xFF, 0xF0, 0x01],    // ext32 claiming ~4 GiB
            [0xA2, 0xFF, 0xFE],                      // invalid UTF-8
            [0x01, 0x02],                            // trailing byte
        ]
        for bytes in cases {
            XCTAssertThrowsError(try decode(bytes), "\(bytes)")
        }
    }

    func testDeepNestingIsRejectedNotCrashing() {
        let deep = [UInt8](repeating: 0x91, count: 100_000) + [0xC0]
        XCTAssertThrowsError(try decode(deep)) { error in
            XCTAssertTrue("\(error)".contains("nesting"), "\(error)")
        }
    }

    func testFlaxTreeWithAndWithoutParams() throws {
        let kernel = MP.ndarray([2, 1], "float32", MP.f32([1.5, -2]))
        let tree = MP.map([(MP.str("Dense_0"), MP.map([(MP.str("kernel"), kernel),
                                                        (MP.str("empty"), MP.map([]))]))])
        for bytes in [MP.map([(MP.str("params"), tree)]), tree] {
            let store = try WeightStore(bytes: bytes)
            XCTAssertEqual(store.format, .flaxMsgpack)
            XCTAssertEqual(store.keys, ["Dense_0/kernel"])
            XCTAssertEqual(try store.take("Dense_0/kernel", shape: [2, 1]).storage, [1.5, -2])
            XCTAssertNoThrow(try store.finish())
        }
    }

    func testFlaxScalarExt3AndIntegers() throws {
        let scalar = MP.ndarray([], "float32", MP.f32([3]), type: 3)
        let ints = MP.ndarray([2], "int32", [7, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        let store = try WeightStore(bytes: MP.map([(MP.str("s"), scalar), (MP.str("i"), ints)]))
        XCTAssertEqual(try store.take("s", shape: []).storage, [3])
        XCTAssertEqual(try store.takeIntegers("i").values, [7, -1])
    }

    func testFlaxHalfDTypes() throws {
        let f16 = MP.ndarray([2], "float16", [0x00, 0x3C, 0x01, 0x00])  // 1, 2^-24
        let bf16 = MP.ndarray([1], "bfloat16", [0x80, 0xBF])              // -1
        let store = try WeightStore(bytes: MP.map([(MP.str("h"), f16), (MP.str("b"), bf16)]))
        XCTAssertEqual(try store.take("h", shape: [2]).storage, [1, 0x1p-24])
        XCTAssertEqual(try store.take("b", shape: [1]).storage, [-1])
    }

    func testFlaxStrictness() {
        let good = MP.ndarray([1], "float32", MP.f32([1]))
        let cases: [([UInt8], String)] = [
            (MP.map([(MP.str("w"), MP.ndarray([2], "float32", MP.f32([1])))]), "needs 8 bytes"),
            (MP.map([(MP.str("w"), MP.ndarray([1], "float64", [UInt8](repeating: 0, count: 8)))]), "unsupported dtype float64"),
            (MP.map([(MP.str("w"), [0x05])]), "value at 'w' is int"),
            (MP.map([(MP.str("a/b"), good)]), "invalid key"),
            (MP.map([([0x01], good)]), "non-string key"),
            (MP.map([(MP.str("params"), MP.map([])), (MP.str("opt_state"), MP.map([]))]), "opt_state"),
            (MP.map([(MP.str("params"), good)]), "params is ext 1"),
            (MP.map([(MP.str("w"), good), (MP.str("w"), good)]), "appears twice"),
            (MP.map([(MP.str("w"), MP.ext(2, [0x92, 0x01, 0x02]))]), "ext 2"),
            (MP.map([(MP.str("w"), MP.ext(1, MP.array([MP.array([[1]]), MP.str("float32")])))]), "not (shape, dtype, bytes)"),
            (MP.map([(MP.str("w"), MP.ext(1, MP.array([MP.array([[0xFF]]), MP.str("float32"), MP.bin([])])))]), "invalid extent"),
            (MP.map([(MP.str("w"), MP.ext(1, MP.array([MP.array([[1]]), MP.str("float32"), MP.bin(MP.f32([1]))]) + [0xC0]))]), "trailing"),
            (MP.array([good]), "root is array"),
            (MP.map([(MP.str("w"), MP.map([(MP.str("__msgpack_chunked_array__"), good)]))]), "chunked"),
        ]
        for (bytes, fragment) in cases {
            XCTAssertThrowsError(try WeightStore(bytes: bytes, format: .flaxMsgpack), fragment) { error in
                XCTAssertTrue("\(error)".contains(fragment), "expected '\(fragment)' in: \(error)")
            }
        }
    }

    func testSniff() {
        XCTAssertEqual(CheckpointFormat.sniff([0x81, 0xA6]), .flaxMsgpack)
        XCTAssertEqual(CheckpointFormat.sniff([0xDE, 0, 1]), .flaxMsgpack)
        XCTAssertEqual(CheckpointFormat.sniff(rawSafetensors("{}", data: [])), .safetensors)
        XCTAssertNil(CheckpointFormat.sniff([0x92, 0x01, 0x02]))
        XCTAssertNil(CheckpointFormat.sniff(Array("hello world".utf8)))
        XCTAssertNil(CheckpointFormat.sniff([]))
        // A safetensors header length whose low byte looks like a fixmap is still safetensors.
        let st = rawSafetensors(#"{"__metadata__":{"k":"\#(String(repeating: "v", count: 110))"}}"#, data: [])
        XCTAssertEqual(st[0] & 0xF0, 0x80)
        XCTAssertEqual(CheckpointFormat.sniff(st), .safetensors)
    }
}
