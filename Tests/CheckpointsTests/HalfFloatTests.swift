import XCTest
@testable import Checkpoints

final class HalfFloatTests: XCTestCase {
    func testFloat16HandValues() {
        // 0x3C00 = 1; 0xC000 = -2; 0x7BFF = 65504 (largest); 0x0400 = 2^-14 (smallest normal);
        // 0x0001 = 2^-24 (smallest subnormal); 0x03FF = 1023 * 2^-24 (largest subnormal).
        XCTAssertEqual(HalfFloat.float(fromFloat16Bits: 0x3C00), 1)
        XCTAssertEqual(HalfFloat.float(fromFloat16Bits: 0xC000), -2)
        XCTAssertEqual(HalfFloat.float(fromFloat16Bits: 0x7BFF), 65504)
        XCTAssertEqual(HalfFloat.float(fromFloat16Bits: 0x0400), 0x1p-14)
        XCTAssertEqual(HalfFloat.float(fromFloat16Bits: 0x0001), 0x1p-24)
        XCTAssertEqual(HalfFloat.float(fromFloat16Bits: 0x03FF), 1023 * 0x1p-24)
        XCTAssertEqual(HalfFloat.float(fromFloat16Bits: 0x8001), -0x1p-24)
        XCTAssertEqual(HalfFloat.float(fromFloat16Bits: 0x8000).bitPattern, (-0.0 as Float).bitPattern)
        XCTAssertEqual(HalfFloat.float(fromFloat16Bits: 0x7C00), .infinity)
        XCTAssertEqual(HalfFloat.float(fromFloat16Bits: 0xFC00), -.infinity)
        XCTAssertTrue(HalfFloat.float(fromFloat16Bits: 0x7E00).isNaN)
        XCTAssertTrue(HalfFloat.float(fromFloat16Bits: 0x7C01).isNaN)
    }

    func testBFloat16HandValues() {
        // bfloat16 is the high half of a Float32: 0x3F80 = 1, 0x0001 = 2^-133 (subnormal).
        XCTAssertEqual(HalfFloat.float(fromBFloat16Bits: 0x3F80), 1)
        XCTAssertEqual(HalfFloat.float(fromBFloat16Bits: 0xC040), -3)
        XCTAssertEqual(HalfFloat.float(fromBFloat16Bits: 0x0001), 0x1p-133)
        XCTAssertEqual(HalfFloat.float(fromBFloat16Bits: 0x7F80), .infinity)
        XCTAssertEqual(HalfFloat.float(fromBFloat16Bits: 0xFF80), -.infinity)
        XCTAssertTrue(HalfFloat.float(fromBFloat16Bits: 0x7FC0).isNaN)
        // Round to nearest even: 1 + 2^-8 is a tie between 1 and 1 + 2^-7 -> 1 (even).
        XCTAssertEqual(HalfFloat.bfloat16Bits(from: 1 + 0x1p-8), 0x3F80)
        XCTAssertEqual(HalfFloat.bfloat16Bits(from: 1 + 0x1p-8 + 0x1p-20), 0x3F81)
        XCTAssertEqual(HalfFloat.bfloat16Bits(from: 1 + 3 * 0x1p-8), 0x3F82)
    }

    func testFloat16RoundingByHand() {
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10 -> even (1); 1 + 3*2^-11 -> 1 + 2^-9.
        XCTAssertEqual(HalfFloat.float16Bits(from: 1 + 0x1p-11), 0x3C00)
        XCTAssertEqual(HalfFloat.float16Bits(from: 1 + 3 * 0x1p-11), 0x3C02)
        XCTAssertEqual(HalfFloat.float16Bits(from: 65519), 0x7BFF)      // rounds down to 65504
        XCTAssertEqual(HalfFloat.float16Bits(from: 65520), 0x7C00)      // tie -> even = infinity
        XCTAssertEqual(HalfFloat.float16Bits(from: 0x1p-25), 0x0000)    // tie -> even = 0
        XCTAssertEqual(HalfFloat.float16Bits(from: 0x1.001p-25), 0x0001)
        XCTAssertEqual(HalfFloat.float16Bits(from: 3 * 0x1p-25), 0x0002) // 1.5 ulp tie -> 2
        XCTAssertEqual(HalfFloat.float16Bits(from: -0x1p-30), 0x8000)
        XCTAssertEqual(HalfFloat.float16Bits(from: 0x1.ffcp-15), 0x0400) // carries into the smallest normal
        XCTAssertEqual(HalfFloat.float16Bits(from: .infinity), 0x7C00)
        XCTAssertEqual(HalfFloat.float16Bits(from: .nan) & 0x7E00, 0x7E00)
    }

    func testFloat16RoundTripsEveryPattern() {
        for bits in 0...UInt16.max {
            let f = HalfFloat.float(fromFloat16Bits: bits)
            if f.isNaN {
                XCTAssertEqual(bits & 0x7C00, 0x7C00)
                XCTAssertTrue(HalfFloat.float(fromFloat16Bits: HalfFloat.float16Bits(from: f)).isNaN)
            } else {
                XCTAssertEqual(HalfFloat.float16Bits(from: f), bits, "0x\(String(bits, radix: 16))")
            }
        }
    }

    #if !(os(macOS) && arch(x86_64))
    /// Cross-check against the standard library's Float16 where the platform has it.
    func testAgreesWithStandardLibraryFloat16() {
        for bits in 0...UInt16.max {
            let mine = HalfFloat.float(fromFloat16Bits: bits)
            let std = Float(Float16(bitPattern: bits))
            if std.isNaN { XCTAssertTrue(mine.isNaN) } else { XCTAssertEqual(mine.bitPattern, std.bitPattern) }
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15  // xorshift64: a fixed, reproducible sweep
        for _ in 0..<200_000 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: state >> 16))
            if f.isNaN { continue }
            XCTAssertEqual(HalfFloat.float16Bits(from: f), Float16(f).bitPattern, "\(f)")
        }
    }
    #endif
}
