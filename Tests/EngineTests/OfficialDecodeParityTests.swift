import Editing
import Engine
import Foundation
import XCTest

/// Whole official decodes on the tiny random model with `rng: "jax"`: the token ids the pinned
/// JAX gives for the same seed (Fixtures/tiny/official-decodes.json, made by
/// `make_official_fixtures.py decodes` with the Flax transformer and the official loop):
/// generation from an all-mask grid and class editing (official latent mask, start 2 of 12),
/// both threefry layouts.
final class OfficialDecodeParityTests: XCTestCase {
    func testTokenIdsEqualTheOfficialDecode() throws {
        let model = try MaskGITModel(directory: tinyFixtures)
        let data = try Data(contentsOf: tinyFixtures.appendingPathComponent("official-decodes.json"))
        let fixture = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(fixture["cases"] as? [[String: Any]])
        let mask = try XCTUnwrap(fixture["maskTokenID"] as? Int)
        XCTAssertEqual(Int(model.predictor.maskTokenID), mask)
        var differing: [String] = []
        for c in cases {
            let seed = UInt64(try XCTUnwrap(c["seed"] as? Int))
            let label = try XCTUnwrap(c["class"] as? Int)
            let steps = try XCTUnwrap(c["steps"] as? Int), start = try XCTUnwrap(c["start"] as? Int)
            let layout: JaxThreefryLayout = (c["partitionable"] as? Bool) == true ? .partitionable : .legacy
            let input = (c["input"] as? [Int] ?? []).map(Int32.init)
            let expected = (c["tokens"] as? [Int] ?? []).map(Int32.init)
            var session = try DecodingSession(predictor: model.predictor, tokens: input, condition: .classLabel(label),
                                              options: DecodingOptions(steps: steps, startStep: start, random: .jax(layout)),
                                              seed: seed)
            let tokens = try session.run()
            let what = "\(c["kind"] ?? "") \(layout) seed \(seed) class \(label) T \(steps) start \(start) box \(c["box"] ?? "-")"
            let positions = (0..<expected.count).filter { tokens[$0] != expected[$0] }
            if !positions.isEmpty { differing.append("\(what): positions \(positions)") }
        }
        XCTAssertGreaterThan(cases.count, 50)
        XCTAssertEqual(differing, [], "decodes whose token ids differ from JAX")
    }
}
