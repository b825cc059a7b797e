// Parallel: a fork-join loop over contiguous index ranges for the non-BLAS kernels.
//
// Rules (one thread setting for every kernel): workers get contiguous ranges; never call BLAS (Ops.matmul,
// Ops.conv2D, ...) from inside `body`, because OpenBLAS runs its own threads.

import DNNLKernels

/// Fork-join over contiguous ranges, at most `BLAS.threads` workers (the OpenMP pool).
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
            // On the OpenMP pool that runs the GEMMs (DNNLKernels' mgk_parallel_chunks), the
            // calling thread included: one pool for every kernel, so no second set of threads
            // wakes next to the GEMM workers. The closure travels as an unretained context
            // pointer, valid for the duration of the call.
            let job = ChunkJob(body: escapable, chunks: chunks, count: count)
            withExtendedLifetime(job) {
                mgk_parallel_chunks(Int64(chunks), Int32(chunks), { context, chunk in
                    let job = Unmanaged<ChunkJob>.fromOpaque(context!).takeUnretainedValue()
                    let index = Int(chunk)
                    job.body(index, Parallel.chunkRange(index, of: job.chunks, count: job.count))
                }, Unmanaged.passUnretained(job).toOpaque())
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

/// One `forEachChunk` call's closure and extents, passed to the C loop as its context.
private final class ChunkJob {
    let body: (_ chunk: Int, _ range: Range<Int>) -> Void
    let chunks: Int, count: Int
    init(body: @escaping (_ chunk: Int, _ range: Range<Int>) -> Void, chunks: Int, count: Int) {
        self.body = body
        self.chunks = chunks
        self.count = count
    }
}
