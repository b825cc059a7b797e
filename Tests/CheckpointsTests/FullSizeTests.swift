// Opt-in: the random full-size official-shaped 256 (or 512, `--image-size 512`) pair written by
//   .venv/bin/python Training/maskgit_reference/make_fixtures.py --full-size runs/fullsize
// Run with MASKGIT_FULLSIZE_DIR=runs/fullsize (relative to the package root, or absolute).
// Checks both formats agree on every tensor and that loading the 690 MB transformer needs
// about the Float32 weight bytes of resident memory (peak RSS via /proc, Linux only).

import Foundation
import Tensors
import XCTest
@testable import Checkpoints

final class FullSizeTests: XCTestCase {
    private func directory() throws -> URL {
        guard let dir = ProcessInfo.processInfo.environment["MASKGIT_FULLSIZE_DIR"], !dir.isEmpty else {
            throw XCTSkip("set MASKGIT_FULLSIZE_DIR to the --full-size output folder")
        }
        if dir.hasPrefix("/") { return URL(fileURLWithPath: dir) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(dir)
    }

    func testOfficialShapesAndFormatsAgree() throws {
        let dir = try directory()
        // 256 shapes (257 positions) or 512 shapes (1025 positions, make_fixtures.py --image-size 512).
        let positions = try WeightStore.open(dir.appendingPathComponent("transformer.msgpack"))
            .shape(of: "Embed_0/position_embeddings/embedding")?.first
        let expectedCounts = ["tokenizer": 54_515_587, "transformer": positions == 1025 ? 173_047_017 : 172_457_193]
        for net in ["tokenizer", "transformer"] {
            let flax = try WeightStore.open(dir.appendingPathComponent("\(net).msgpack"))
            let st = try WeightStore.open(dir.appendingPathComponent("\(net).safetensors"))
            XCTAssertEqual(flax.keys, st.keys)
            var count = 0
            for key in flax.keys {
                let shape = try XCTUnwrap(flax.shape(of: key))
                let a = try flax.take(key, shape: shape), b = try st.take(key, shape: shape)
                XCTAssertTrue(a.storage == b.storage, key)
                count += a.count
            }
            XCTAssertEqual(count, expectedCounts[net])
            try flax.finish()
            try st.finish()
        }
    }

    #if os(Linux)
    func testPeakMemoryLoadingTheTransformer() throws {
        let url = try directory().appendingPathComponent("transformer.msgpack")
        func status(_ field: String) -> Int {
            let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            let line = text.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
            return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
        }
        // Reset the peak (VmHWM) to the current RSS.
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        let before = status("VmRSS")
        var kept: [Tensor] = []
        let store = try WeightStore.open(url)
        for key in store.keys { kept.append(try store.take(key)) }
        try store.finish()
        let weightBytes = kept.reduce(0) { $0 + 4 * $1.count }
        let peak = status("VmHWM") - before
        let ratio = Double(peak) / Double(weightBytes)
        print("full-size transformer: \(weightBytes) float32 bytes, peak RSS growth \(peak) bytes (\(String(format: "%.3f", ratio))x)")
        XCTAssertLessThan(ratio, 1.15)
    }
    #endif
}
