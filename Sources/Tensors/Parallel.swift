// Parallel: a fork-join loop over contiguous index ranges for the non-BLAS kernels.
//
// Rules (one thread setting for every kernel): workers get contiguous ranges; never call BLAS (Ops.matmul,
// Ops.conv2D, ...) from inside `body`, because OpenBLAS runs its own threads.

import Dispatch

/// Fork-join over contiguous ranges, at most `BLAS.threads` workers.
enum Parallel {
    /// Splits `0..<count` into contiguous chunks of at least `minimumChunk` indices and runs
    /// `body` on each, concurrently when there is more than one chunk; returns when all are done.
    ///
    /// `body` must only write to memory that belongs to its own range: the closure is shared
    /// between threads without a Sendable check, which is sound only for disjoint writes.
    static func forEachRange(
        _ count: Int, minimumChunk: Int, _ body: (Range<Int>) -> Void
    ) {
        forEachChunk(count, minimumChunk: minimumChunk) { _, range in body(range) }
    }

    /// As `forEachRange`, also passing the chunk number `0..<chunkCount(count, minimumChunk:)`,
    /// so a reduction can keep one partial result per chunk.
    static func forEachChunk(
        _ count: Int, minimumChunk: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void
    ) {
        guard count > 0 else { return }
        let chunks = chunkCount(count, minimumChunk: minimumChunk)
        if chunks == 1 {
            body(0, 0..<count)
            return
        }
        withoutActuallyEscaping(body) { escapable in
            let shared = UncheckedSendable(escapable)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                shared.value(chunk, chunkRange(chunk, of: chunks, count: count))
            }
        }
    }

    /// How many chunks `forEachRange` uses for `count` indices.
    static func chunkCount(_ count: Int, minimumChunk: Int) -> Int {
        max(1, min(BLAS.threads, count / max(1, minimumChunk)))
    }

    /// The `chunk`-th of `chunks` near-equal contiguous ranges covering `0..<count`.
    static func chunkRange(_ chunk: Int, of chunks: Int, count: Int) -> Range<Int> {
        (chunk * count / chunks)..<((chunk + 1) * count / chunks)
    }
}

/// Carries a non-Sendable value into a concurrent closure; see `Parallel.forEachRange`.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
