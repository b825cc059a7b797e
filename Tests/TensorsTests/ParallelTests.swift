// The parallel loop: ranges cover every index exactly once, in contiguous chunks.

import XCTest
@testable import Tensors

final class ParallelTests: XCTestCase {
    func testChunksCoverEveryIndexOnce() {
        // Each index is stamped with its chunk number; every index must be stamped, chunks must
        // be contiguous and increasing, and their count must be what chunkCount promised.
        for (count, minimumChunk) in [(1, 1), (7, 1), (1000, 3), (100_000, 1024), (5, 100)] {
            var owner = [Int](repeating: -1, count: count)
            owner.withUnsafeMutableBufferPointer { stamps in
                Parallel.forEachChunk(count, minimumChunk: minimumChunk) { chunk, range in
                    for i in range { stamps[i] = chunk }
                }
            }
            XCTAssertFalse(owner.contains(-1), "count \(count)")
            XCTAssertEqual(owner, owner.sorted(), "chunks contiguous, count \(count)")
            XCTAssertEqual((owner.last ?? -1) + 1, Parallel.chunkCount(count, minimumChunk: minimumChunk))
        }
    }
}
