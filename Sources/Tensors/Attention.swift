// Attention: multi-head scaled dot-product self-attention over all positions (the MaskGIT
// transformer's nn.SelfAttention with an all-ones mask), on strided GEMMs.
//
// Legend: L positions, H heads, hd head width, C = H·hd channels.
//
// Design: q, k and v stay [L, C] as the Dense products leave them; head h is the column block
// h·hd ..< (h+1)·hd, read in place with row stride C (lda/ldb = C), so no [L, H, hd] → [H, L, hd]
// permutes are made. The scores of all heads, [H, L, L], are one scratch buffer: H GEMMs with
// alpha = 1/√hd write it, one parallel softmax normalises every row, and H GEMMs write each
// head's context straight into its column block of the [L, C] output (ldc = C).

extension Ops {
    /// Multi-head attention without a mask: for each head h,
    /// out[:, h] = softmax(q[:, h]·k[:, h]ᵀ / √hd) · v[:, h], where x[:, h] is the column block
    /// h·hd ..< (h+1)·hd.
    ///
    /// - Parameters:
    ///   - query, key, value: `[L, C]` with C = heads · hd (heads side by side, as a flattened
    ///     DenseGeneral `(in, H, hd)` kernel produces them).
    ///   - heads: H, which must divide C.
    /// - Returns: `[L, C]`, the heads' contexts side by side (ready for the `(H·hd, C)` output
    ///   projection).
    public static func multiHeadAttention(query: Tensor, key: Tensor, value: Tensor, heads: Int) -> Tensor {
        precondition(query.rank == 2 && key.shape == query.shape && value.shape == query.shape,
                     "multiHeadAttention: need q, k, v of one shape [L, C], got \(query.shape), \(key.shape), \(value.shape)")
        let l = query.shape[0], c = query.shape[1]
        precondition(heads > 0 && c % heads == 0, "multiHeadAttention: \(heads) heads must divide \(c) channels")
        let hd = c / heads
        var out = Tensor(uninitialized: [l, c])  // every column block written by its head's GEMM
        guard l > 0, c > 0 else { return out }
        var scores = Tensor(uninitialized: [heads, l, l])  // beta = 0 overwrites every element
        let alpha = 1 / Float(hd).squareRoot()
        query.storage.withUnsafeBufferPointer { q in
            key.storage.withUnsafeBufferPointer { k in
                scores.storage.withUnsafeMutableBufferPointer { s in
                    for h in 0..<heads {
                        // [L, hd]·[L, hd]ᵀ → [L, L], scaled by 1/√hd.
                        BLAS.gemm(m: l, n: l, k: hd,
                                  a: q.baseAddress! + h * hd, lda: c,
                                  b: k.baseAddress! + h * hd, ldb: c, transposeB: true,
                                  beta: 0, c: s.baseAddress! + h * l * l, ldc: l, alpha: alpha)
                    }
                }
            }
        }
        softmaxInPlace(&scores)
        scores.storage.withUnsafeBufferPointer { s in
            value.storage.withUnsafeBufferPointer { v in
                out.storage.withUnsafeMutableBufferPointer { o in
                    for h in 0..<heads {
                        // [L, L]·[L, hd] → column block h of [L, C].
                        BLAS.gemm(m: l, n: hd, k: l,
                                  a: s.baseAddress! + h * l * l, lda: l,
                                  b: v.baseAddress! + h * hd, ldb: c, transposeB: false,
                                  beta: 0, c: o.baseAddress! + h * hd, ldc: c)
                    }
                }
            }
        }
        return out
    }
}
