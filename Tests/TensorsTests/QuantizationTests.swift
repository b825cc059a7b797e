// Nearest-code search of the VQ quantizer: hand cases and Ops vs Reference.

import XCTest
@testable import Tensors

final class QuantizationTests: XCTestCase {
    func testNearestCodeHandCases() {
        // Codes 0:(0,0) 1:(1,0) 2:(0,2); (0.9, 0.1) is nearest code 1, (0, 1.6) code 2, (0.1, 0.1) code 0.
        let codebook = Tensor(shape: [3, 2], storage: [0, 0, 1, 0, 0, 2])
        let z = Tensor(shape: [3, 2], storage: [0.9, 0.1, 0, 1.6, 0.1, 0.1])
        XCTAssertEqual(Ops.nearestCodeIndices(z, codebook: codebook), [1, 2, 0])
    }

    func testTiesGoToTheLowestIndex() {
        // Duplicate codes 1 and 3 tie exactly, as does (0.5, 0) between codes 0:(0,0) and 1:(1,0):
        // argmin returns the first.
        let codebook = Tensor(shape: [4, 2], storage: [0, 0, 1, 0, 5, 5, 1, 0])
        let z = Tensor(shape: [2, 2], storage: [1, 0, 0.5, 0])
        XCTAssertEqual(Ops.nearestCodeIndices(z, codebook: codebook), [1, 0])
        XCTAssertEqual(Reference.nearestCodeIndices(z, codebook: codebook), [1, 0])
    }

    func testMatchesReferenceOnRandomData() {
        // The fast path forms ‖z‖² − 2z·e + ‖e‖² in float32 (as upstream), the twin sums (z − e)² in
        // Double, so a near-tie may pick a different code. Where they differ, the fast choice must be
        // within 1e-5 of the smallest distance, relative to ‖z‖² + ‖e‖² (the float32 rounding scale).
        var rng = SeededGenerator(seed: 50)
        for (n, k, d) in [(1, 1, 1), (7, 5, 3), (64, 128, 33), (256, 1024, 32)] {
            let z = Tensor.random([n, d], using: &rng), codebook = Tensor.random([k, d], using: &rng)
            let fast = Ops.nearestCodeIndices(z, codebook: codebook)
            let naive = Reference.nearestCodeIndices(z, codebook: codebook)
            var mismatches = 0
            for i in 0..<n where fast[i] != naive[i] {
                mismatches += 1
                func distance(_ j: Int) -> Double {
                    (0..<d).reduce(0) { s, p in
                        let diff = Double(z.storage[i * d + p]) - Double(codebook.storage[j * d + p])
                        return s + diff * diff
                    }
                }
                let zNorm = (0..<d).reduce(0.0) { $0 + Double(z.storage[i * d + $1] * z.storage[i * d + $1]) }
                XCTAssertLessThanOrEqual(distance(fast[i]) - distance(naive[i]), 1e-5 * (zNorm + Double(d)),
                                         "row \(i) of [\(n),\(d)] vs [\(k),\(d)]")
            }
            XCTAssertLessThanOrEqual(mismatches, max(1, n / 100), "near-ties only, [\(n),\(d)] vs [\(k),\(d)]")
        }
    }
}
