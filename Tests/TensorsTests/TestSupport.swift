// Test support: a seeded generator, random tensors, and the fast-vs-naive comparison helper.

import XCTest
@testable import Tensors

extension Tensor {
    /// Uniform values in `range`.
    static func random(_ shape: [Int], in range: ClosedRange<Float> = -1...1,
                       using rng: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in Float.random(in: range, using: &rng) })
    }
}

/// Largest differences between two tensors.
struct Difference: CustomStringConvertible {
    var maxAbsolute: Float = 0
    var maxRelative: Float = 0
    var description: String { "max abs \(maxAbsolute), max rel \(maxRelative)" }
}

/// Checks `fast` against `naive` element-wise:
/// |fast − naive| ≤ relative · max(|naive|, floor) with floor = `floorFraction` · max|naive|,
/// so elements that cancel to near zero are judged against the tensor's scale. Failure messages
/// give the label, the shape and the max absolute / relative differences.
@discardableResult
func assertClose(
    _ fast: Tensor, _ naive: Tensor, relative: Float, floorFraction: Float = 0.1,
    _ label: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line
) -> Difference {
    XCTAssertEqual(fast.shape, naive.shape, "\(label()): shape", file: file, line: line)
    guard fast.shape == naive.shape else { return Difference() }
    let scale = naive.storage.reduce(Float(0)) { max($0, abs($1)) }
    let floor = max(scale * floorFraction, Float.leastNormalMagnitude)
    var difference = Difference()
    var worst = 0
    for i in naive.storage.indices {
        let absolute = abs(fast.storage[i] - naive.storage[i])
        let rel = absolute / max(abs(naive.storage[i]), floor)
        if !(absolute <= difference.maxAbsolute) { difference.maxAbsolute = absolute }
        if !(rel <= difference.maxRelative) {
            difference.maxRelative = rel
            worst = i
        }
    }
    XCTAssert(difference.maxRelative <= relative,
              "\(label()) shape \(naive.shape): \(difference) > rel tol \(relative) "
              + "(worst at flat \(worst): fast \(fast.storage.isEmpty ? 0 : fast.storage[worst]), "
              + "naive \(naive.storage.isEmpty ? 0 : naive.storage[worst]))",
              file: file, line: line)
    return difference
}
