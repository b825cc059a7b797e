// Attention: multi-head scaled dot-product self-attention over all positions (the MaskGIT
// transformer's nn.SelfAttention with an all-ones mask), on strided GEMMs.
//
// Legend: B sequences stacked as rows, L positions per sequence, H heads, hd head width,
// C = H·hd channels.
//
// Design: q, k and v stay [B·L, C] as the Dense products leave them; head h of sequence b is the
// column block h·hd ..< (h+1)·hd of rows b·L ..< (b+1)·L, read in place with row stride C
// (lda/ldb = C), so no [L, H, hd] → [H, L, hd] permutes and no per-sequence copies are made.
// With oneDNN (DNNLKernels' mgk_attention) the (sequence, head) pairs are split over the
// threads, each pair on one thread with single-threaded GEMMs, so a call is one parallel region
// (two per head before, each waking the pool for a 257x257x48 product). Per pair, and in the
// OpenBLAS path below, one head goes through all three steps: a GEMM with alpha = 1/√hd writes
// its scores [L, L] into a scratch buffer, the wide softmax (VectorKernels) normalises its rows,
// and a GEMM writes its context straight into its column block of the output (ldc = C). At the
// official shape the scratch is 257² floats (264 KB), so it stays in the L2 cache between the
// three steps; scoring all heads first ([H, L, L], 4.2 MB) sent it through L3 three times
// (Docs/Benchmarks.md, "The same benchmark on an Intel Xeon, and one thread pool").

import DNNLKernels

extension Ops {
    /// Multi-head attention without a mask: for each sequence b and head h,
    /// out[b, :, h] = softmax(q[b, :, h]·k[b, :, h]ᵀ / √hd) · v[b, :, h], where x[b, :, h] is the
    /// column block h·hd ..< (h+1)·hd of sequence b's rows.
    ///
    /// - Parameters:
    ///   - query, key, value: `[B·L, C]` with C = heads · hd (heads side by side, as a flattened
    ///     DenseGeneral `(in, H, hd)` kernel produces them; sequences stacked as rows).
    ///   - heads: H, which must divide C.
    ///   - sequences: B, which must divide the row count; positions attend within their own
    ///     sequence only.
    /// - Returns: `[B·L, C]`, the heads' contexts side by side (ready for the `(H·hd, C)` output
    ///   projection).
    public static func multiHeadAttention(query: Tensor, key: Tensor, value: Tensor, heads: Int,
                                          sequences: Int = 1) -> Tensor {
        precondition(query.rank == 2 && key.shape == query.shape && value.shape == query.shape,
                     "multiHeadAttention: need q, k, v of one shape [L, C], got \(query.shape), \(key.shape), \(value.shape)")
        let rows = query.shape[0], c = query.shape[1]
        precondition(heads > 0 && c % heads == 0, "multiHeadAttention: \(heads) heads must divide \(c) channels")
        precondition(sequences > 0 && rows % sequences == 0,
                     "multiHeadAttention: \(sequences) sequences must divide \(rows) rows")
        let hd = c / heads, l = rows / sequences
        var out = Tensor(uninitialized: [rows, c])  // every column block written by its head's GEMM
        guard l > 0, c > 0 else { return out }
        let alpha = 1 / Float(hd).squareRoot()
        if Kernels.backend == .oneDNN {
            // The (sequence, head) pairs split over the OpenMP pool, one scratch per thread
            // (DNNLKernels' mgk_attention: one parallel region per call).
            let threads = max(1, min(BLAS.threads, sequences * heads))
            var scratch = [Float](unsafeUninitializedCapacity: threads * l * l) { _, count in count = threads * l * l }
            let status = query.storage.withUnsafeBufferPointer { q in
                key.storage.withUnsafeBufferPointer { k in
                    value.storage.withUnsafeBufferPointer { v in
                        out.storage.withUnsafeMutableBufferPointer { o in
                            scratch.withUnsafeMutableBufferPointer { s in
                                mgk_attention(Int64(sequences), Int64(l), Int64(heads), Int64(hd), alpha,
                                              q.baseAddress!, k.baseAddress!, v.baseAddress!, o.baseAddress!,
                                              s.baseAddress!, Int32(threads))
                            }
                        }
                    }
                }
            }
            if status == 0 { return out }
        }
        var scores = [Float](unsafeUninitializedCapacity: l * l) { _, count in count = l * l }  // beta = 0 overwrites it
        query.storage.withUnsafeBufferPointer { q in
            key.storage.withUnsafeBufferPointer { k in
                value.storage.withUnsafeBufferPointer { v in
                    out.storage.withUnsafeMutableBufferPointer { o in
                        scores.withUnsafeMutableBufferPointer { s in
                            let s = s.baseAddress!
                            for b in 0..<sequences {
                                let first = b * l * c
                                for h in 0..<heads {
                                    let column = first + h * hd
                                    // [L, hd]·[L, hd]ᵀ → [L, L], scaled by 1/√hd.
                                    BLAS.gemm(m: l, n: l, k: hd,
                                              a: q.baseAddress! + column, lda: c,
                                              b: k.baseAddress! + column, ldb: c, transposeB: true,
                                              beta: 0, c: s, ldc: l, alpha: alpha)
                                    softmaxRows(s, rows: l, columns: l)
                                    // [L, L]·[L, hd] → column block h of sequence b in [B·L, C].
                                    BLAS.gemm(m: l, n: hd, k: l,
                                              a: s, lda: l,
                                              b: v.baseAddress! + column, ldb: c, transposeB: false,
                                              beta: 0, c: o.baseAddress! + column, ldc: c)
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
