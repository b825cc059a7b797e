import XCTest
@testable import Editing

final class MaskScheduleTests: XCTestCase {
    // Reference §1.4 test vectors (float32 cosine): masked count after each step.
    func testCosineVectors() {
        let cases: [(Int, Int, [Int])] = [
            (256, 8, [251, 236, 212, 181, 142, 97, 49, 1]),
            (256, 12, [253, 247, 236, 221, 203, 181, 155, 127, 97, 66, 33, 1]),
            (256, 16, [254, 251, 244, 236, 225, 212, 197, 181, 162, 142, 120, 97, 74, 49, 25, 1]),
            (1024, 12, [1015, 989, 946, 886, 812, 724, 623, 511, 391, 265, 133, 1]),
        ]
        for (n, t, expected) in cases {
            for arithmetic in [ScheduleArithmetic.compiledOfficial, .exactDivision] {
                XCTAssertEqual(MaskSchedule.cosine.maskedCounts(initialUnknown: n, totalSteps: t, arithmetic: arithmetic),
                               expected, "N=\(n) T=\(t) \(arithmetic)")
            }
        }
    }

    // The float64 trap: cos(π/3) is 0.5 in float64 (128, 512) but 0.49999997 in float32 (127, 511).
    func testFloat32MidpointTrap() {
        let step = 7  // r = 8/12
        XCTAssertEqual(MaskSchedule.cosine.maskLength(step: step, totalSteps: 12, initialUnknown: 256, unknownNow: 256), 127)
        XCTAssertEqual(MaskSchedule.cosine.maskLength(step: step, totalSteps: 12, initialUnknown: 1024, unknownNow: 1024), 511)
        let f64 = (Double.pi / 2 * (8.0 / 12.0)).cosineForTest
        XCTAssertEqual(Int((256 * f64).rounded(.down)), 128, "float64 would give 128")
    }

    // Reference §1.4 compiled-code detail: uniform, N=64, T=12, step index 8: 15 (fused), 16 (exact).
    func testLinearCompiledVersusExact() {
        XCTAssertEqual(MaskSchedule.linear.maskLength(step: 8, totalSteps: 12, initialUnknown: 64, unknownNow: 64,
                                                      arithmetic: .compiledOfficial), 15)
        XCTAssertEqual(MaskSchedule.linear.maskLength(step: 8, totalSteps: 12, initialUnknown: 64, unknownNow: 64,
                                                      arithmetic: .exactDivision), 16)
    }

    // The exp schedule at N = 64, T = 12: step 9 keeps 32 masked in the compiled official decode
    // (XLA's exp2 gives exactly 0.5 there), with start 0 and start 2 (values from JAX 0.10.2).
    func testExponentialN64T12MatchesTheCompiledDecode() {
        XCTAssertEqual(MaskSchedule.exponential.maskedCounts(initialUnknown: 64, totalSteps: 12),
                       [62, 61, 60, 59, 58, 56, 52, 48, 41, 32, 18, 1])
        XCTAssertEqual(MaskSchedule.exponential.maskedCounts(initialUnknown: 64, totalSteps: 12, startStep: 2),
                       [61, 60, 58, 56, 52, 48, 41, 32, 18, 1])
        XCTAssertEqual(MaskSchedule.exponential.maskLength(step: 9, totalSteps: 12, initialUnknown: 64, unknownNow: 64), 32)
    }

    // Every method × N × T × start of Fixtures/official-schedule.json: the clamped mask_len of
    // each step of the jitted official decode (XLA CPU), produced by make_official_fixtures.py.
    func testEveryCaseMatchesTheCompiledOfficialDecode() throws {
        let fixture = try loadJSONFixture("official-schedule.json")
        let cases = try XCTUnwrap(fixture["cases"] as? [[String: Any]])
        let methods: [String: MaskSchedule] = ["uniform": .linear, "pow2": .square, "pow3": .cubic, "cosine": .cosine,
                                               "log": .logarithmic, "exp": .exponential]
        var mismatches: [String] = []
        for c in cases {
            let method = try XCTUnwrap(c["method"] as? String)
            let schedule = try XCTUnwrap(methods[method])
            let n = try XCTUnwrap(c["N"] as? Int), t = try XCTUnwrap(c["T"] as? Int), start = try XCTUnwrap(c["start"] as? Int)
            let counts = schedule.maskedCounts(initialUnknown: n, totalSteps: t, startStep: start)
            if counts != c.ints("maskLen") { mismatches.append("\(method) N=\(n) T=\(t) start=\(start): \(counts) vs \(c.ints("maskLen"))") }
        }
        XCTAssertGreaterThan(cases.count, 1000)
        XCTAssertEqual(mismatches, [], "\(mismatches.count) of \(cases.count) cases differ from the compiled official decode")
    }

    func testClampKeepsOneCommittedAndOneMasked() {
        // mask_len = max(1, min(unknown_now − 1, floor(N0·γ))).
        XCTAssertEqual(MaskSchedule.cosine.maskLength(step: 0, totalSteps: 12, initialUnknown: 256, unknownNow: 10), 9)
        XCTAssertEqual(MaskSchedule.cosine.maskLength(step: 11, totalSteps: 12, initialUnknown: 256, unknownNow: 256), 1)
        XCTAssertEqual(MaskSchedule.cosine.maskLength(step: 3, totalSteps: 12, initialUnknown: 256, unknownNow: 0), 1)
    }

    func testOtherSchedulesAreMonotoneAndInRange() {
        let schedules: [MaskSchedule] = [.linear, .square, .cubic, .power(1.5), .exponential, .logarithmic, .arccos, .cosine]
        for s in schedules {
            var previous: Float = 1.0001
            for step in 0..<16 {
                let g = s.maskRatio(step: step, totalSteps: 16, initialUnknown: 256)
                XCTAssertGreaterThanOrEqual(g, 1e-6, "\(s)")
                XCTAssertLessThanOrEqual(g, 1, "\(s)")
                XCTAssertLessThanOrEqual(g, previous, "\(s) step \(step)")
                previous = g
            }
            XCTAssertEqual(s.maskRatio(step: 15, totalSteps: 16, initialUnknown: 256), 1e-6, "\(s) ends at the clip")
        }
        // Hand values: arccos(0.5)/(π/2) = 2/3; log: −log2(0.5)/log2(256) = 1/8; exp at r = 0.5: 1 − 2^−4.
        XCTAssertEqual(MaskSchedule.arccos.maskRatio(step: 5, totalSteps: 12, initialUnknown: 256), 2.0 / 3.0, accuracy: 1e-6)
        XCTAssertEqual(MaskSchedule.logarithmic.maskRatio(step: 5, totalSteps: 12, initialUnknown: 256), 0.125, accuracy: 1e-6)
        XCTAssertEqual(MaskSchedule.exponential.maskRatio(step: 5, totalSteps: 12, initialUnknown: 256), 1 - 1.0 / 16, accuracy: 1e-6)
        XCTAssertEqual(MaskSchedule.square.maskRatio(step: 5, totalSteps: 12, initialUnknown: 256), 0.75, accuracy: 1e-6)
    }
}

extension Double {
    var cosineForTest: Double { Foundation.cos(self) }
}
import Foundation
