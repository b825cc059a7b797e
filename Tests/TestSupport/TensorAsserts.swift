import Checkpoints
import Foundation
import Tensors
import XCTest

// Tensor assertions shared by the network tests (EngineTests, VQGANTests, TransformerTests).

/// The tiny golden fixtures (see Tests/EngineTests/Fixtures/tiny/README.md for the producing command).
public let tinyFixtures = Fixtures.tinyModel

/// Asserts `actual` matches `expected` within a relative error `tolerance`, measured against the
/// tensor's largest magnitude (max |a − e| / max |e|), and reports the shape and the error.
public func assertClose(_ actual: Tensor, _ expected: Tensor, tolerance: Float, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(what): \(actual.shape) vs \(expected.shape)", file: file, line: line)
    guard actual.count == expected.count, actual.count > 0 else { return }
    var maxDiff: Float = 0, scale: Float = 0
    for i in 0..<actual.count {
        maxDiff = max(maxDiff, abs(actual.storage[i] - expected.storage[i]))
        scale = max(scale, abs(expected.storage[i]))
    }
    let relative = maxDiff / max(scale, .leastNormalMagnitude)
    XCTAssertLessThanOrEqual(relative, tolerance,
                             "\(what) \(expected.shape): max |diff| \(maxDiff), scale \(scale), relative \(relative)",
                             file: file, line: line)
    XCTAssertFalse(actual.storage.contains { !$0.isFinite }, "\(what): non-finite values", file: file, line: line)
}

/// Drops a leading batch axis of 1: [1, ...] → [...].
public func unbatched(_ t: Tensor) -> Tensor {
    precondition(t.shape.first == 1)
    return t.reshaped(Array(t.shape.dropFirst()))
}

extension XCTestCase {
    /// The tiny fixture file `name` rewritten through `edit` into a temporary safetensors file
    /// (removed after the test): for checkpoints with a missing, extra or mis-shaped tensor.
    public func rewrittenTinyFixture(_ name: String, edit: (inout [String: Tensor]) -> Void) throws -> URL {
        let store = try WeightStore.open(tinyFixtures.appendingPathComponent(name))
        var tensors: [String: Tensor] = [:]
        for key in store.keys { tensors[key] = try store.take(key) }
        edit(&tensors)
        var writer = SafetensorsWriter(metadata: [:])
        for key in tensors.keys.sorted() { try writer.add(key, tensors[key]!) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("strict-\(UUID().uuidString).safetensors")
        try writer.write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
