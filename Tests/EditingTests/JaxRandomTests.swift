import Foundation
import XCTest
@testable import Editing

/// JaxRandom against bits drawn by the pinned JAX (Fixtures/jax-random.json; the producing
/// command is in the file): PRNGKey, split, bits, uniform, gumbel, categorical, both layouts.
final class JaxRandomTests: XCTestCase {
    private func entries(_ layout: JaxThreefryLayout) throws -> (entries: [[String: Any]], big: [UInt32]) {
        let fixture = try loadJSONFixture("jax-random.json")
        let part = try XCTUnwrap(fixture[layout == .partitionable ? "partitionable" : "legacy"] as? [String: Any])
        return (try XCTUnwrap(part["entries"] as? [[String: Any]]), part.uint32s("gumbel4096_seed2026"))
    }

    func testKeysSplitsAndBitsAreExact() throws {
        for layout in JaxThreefryLayout.allCases {
            for e in try entries(layout).entries {
                let seed = UInt64(truncating: try XCTUnwrap(e["seed"] as? NSNumber))
                let key = JaxKey(seed: seed)
                let what = "\(layout) seed \(seed)"
                XCTAssertEqual([key.high, key.low], e.uint32s("key"), what)
                let split2 = JaxRandom.split(key, count: 2, layout: layout).flatMap { [$0.high, $0.low] }
                XCTAssertEqual(split2, (e["split2"] as? [[NSNumber]] ?? []).flatMap { $0.map { UInt32(truncating: $0) } }, what)
                let split3 = JaxRandom.split(key, count: 3, layout: layout).flatMap { [$0.high, $0.low] }
                XCTAssertEqual(split3, (e["split3"] as? [[NSNumber]] ?? []).flatMap { $0.map { UInt32(truncating: $0) } }, what)
                XCTAssertEqual((0..<7).map { JaxRandom.bits(key, index: $0, count: 7, layout: layout) }, e.uint32s("bits7"), what)
                XCTAssertEqual((0..<6).map { JaxRandom.bits(key, index: $0, count: 6, layout: layout) }, e.uint32s("bits2x3"), what)
                XCTAssertEqual((0..<5).map { JaxRandom.uniform(key, index: $0, count: 5, layout: layout).bitPattern },
                               e.uint32s("uniform5"), what)
            }
        }
    }

    /// Gumbel and categorical: the logs are rounded once here; XLA's CPU log is within one ulp,
    /// so −log(L) differs by at most one ulp of the result plus one ulp of L relative (2^−23).
    func testGumbelWithinOneUlpAndCategoricalExact() throws {
        for layout in JaxThreefryLayout.allCases {
            let (list, big) = try entries(layout)
            for e in list {
                let seed = UInt64(truncating: try XCTUnwrap(e["seed"] as? NSNumber))
                let key = JaxKey(seed: seed)
                for (name, n) in [("gumbel6", 6), ("gumbel3x5", 15)] {
                    let expected = e.uint32s(name).map { Float(bitPattern: $0) }
                    for i in 0..<n {
                        let g = JaxRandom.gumbel(key, index: i, count: n, layout: layout)
                        XCTAssertLessThanOrEqual(abs(g - expected[i]), expected[i].ulp + 0x1p-23, "\(layout) seed \(seed) \(name)[\(i)]")
                    }
                }
                let logits = e.uint32s("logits").map { Float(bitPattern: $0) }   // [2, 5, 7]
                let expected = e.ints("categorical")
                logits.withUnsafeBufferPointer { all in
                    for row in 0..<10 {
                        let slice = UnsafeBufferPointer(rebasing: all[(row * 7)..<((row + 1) * 7)])
                        XCTAssertEqual(JaxRandom.categorical(key, row: row, logits: slice, count: 70, layout: layout),
                                       expected[row], "\(layout) seed \(seed) row \(row)")
                    }
                }
            }
            // 4096 draws: every one within 1 ulp; most identical.
            let key = JaxKey(seed: 2026)
            var identical = 0
            for i in 0..<big.count {
                let expected = Float(bitPattern: big[i])
                let g = JaxRandom.gumbel(key, index: i, count: big.count, layout: layout)
                if g == expected { identical += 1 }
                XCTAssertLessThanOrEqual(abs(g - expected), expected.ulp + 0x1p-23, "\(layout) draw \(i)")
            }
            XCTAssertGreaterThan(identical, big.count / 2, "\(layout): \(identical) of \(big.count) identical")
        }
    }

    func testThreefryKnownAnswer() {
        // Random123's published known-answer vector for threefry2x32_20 with zero key and counter.
        let (a, b) = JaxRandom.threefry(JaxKey(0, 0), 0, 0)
        XCTAssertEqual(a, 0x6B20_0159)
        XCTAssertEqual(b, 0x99BA_4EFE)
    }
}
