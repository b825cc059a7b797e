import Editing
import Engine
import Foundation
import Transformer
import TestSupport
import XCTest

/// Whole official decodes with `rng: "jax"`: the token ids the pinned JAX gives for the same seed
/// (made by `make_official_fixtures.py decodes` / `decodes-small` with the Flax transformer and
/// the official loop): generation from an all-mask grid and class editing (official latent mask,
/// start 2 of 12).
final class OfficialDecodeParityTests: XCTestCase {
    /// Runs every case of a fixture file and returns the ones whose tokens differ.
    private func differing(_ fixtureFile: URL, predictor: any TokenPredictor) throws -> (cases: Int, differing: [String]) {
        let data = try Data(contentsOf: fixtureFile)
        let fixture = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(fixture["cases"] as? [[String: Any]])
        XCTAssertEqual(Int(predictor.maskTokenID), try XCTUnwrap(fixture["maskTokenID"] as? Int))
        var differing: [String] = []
        for c in cases {
            let seed = UInt64(try XCTUnwrap(c["seed"] as? Int))
            let label = try XCTUnwrap(c["class"] as? Int)
            let steps = try XCTUnwrap(c["steps"] as? Int), start = try XCTUnwrap(c["start"] as? Int)
            let layout: JaxThreefryLayout = (c["partitionable"] as? Bool) == false ? .legacy : .partitionable
            let input = (c["input"] as? [Int] ?? []).map(Int32.init)
            let expected = (c["tokens"] as? [Int] ?? []).map(Int32.init)
            var session = try DecodingSession(predictor: predictor, tokens: input, condition: .classLabel(label),
                                              options: DecodingOptions(steps: steps, startStep: start, random: .jax(layout)),
                                              seed: seed)
            let tokens = try session.run()
            let what = "\(c["kind"] ?? "") \(layout) seed \(seed) class \(label) T \(steps) start \(start) box \(c["box"] ?? "-")"
            let positions = (0..<expected.count).filter { tokens[$0] != expected[$0] }
            if !positions.isEmpty { differing.append("\(what): positions \(positions)") }
        }
        return (cases.count, differing)
    }

    /// The tiny model (64 codes, 4x4 grid): 120 decodes, both threefry layouts.
    func testTinyModelTokenIdsEqualTheOfficialDecode() throws {
        let model = try MaskGITModel(directory: tinyFixtures)
        let (count, differing) = try differing(tinyFixtures.appendingPathComponent("official-decodes.json"), predictor: model.predictor)
        XCTAssertGreaterThan(count, 100)
        XCTAssertEqual(differing, [], "decodes whose token ids differ from JAX")
    }

    /// The official sequence shape: 1024 codes, 16x16 grid (257 positions), a narrow random
    /// transformer loaded from Flax msgpack: a generation (T 16, seed 0) and class edits (start 2
    /// of 12, seeds 0, 42, 1234).
    func testOfficialShapeTokenIdsEqualTheOfficialDecode() throws {
        let folder = tinyFixtures.deletingLastPathComponent().appendingPathComponent("small-transformer")
        let transformer = try BidirectionalTransformer(contentsOf: folder.appendingPathComponent("transformer.msgpack"), codebookSize: 1024)
        let predictor = NetworkPredictor(transformer, gridShape: GridShape(height: 16, width: 16))
        let (count, differing) = try differing(folder.appendingPathComponent("official-decodes.json"), predictor: predictor)
        XCTAssertEqual(count, 4)
        XCTAssertEqual(differing, [], "decodes whose token ids differ from JAX")
    }
}
