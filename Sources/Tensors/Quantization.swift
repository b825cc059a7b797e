// Quantization: the VQ nearest-code search (maskgit nets/vqgan_tokenizer.py VectorQuantizer,
// libml/losses.py squared_euclidean_distance).
//
// Legend: N vectors, D their dimension, K codebook entries.
//
// Distances are formed as upstream, in float32 and in its order: (‖z‖² − 2·z·eᵀ) + ‖e‖², with
// z·eᵀ one GEMM. Ties go to the lowest index, like jnp.argmin.

extension Ops {
    /// For each row of `z`, the index of the nearest codebook row in squared Euclidean distance.
    ///
    /// - Parameters:
    ///   - z: `[N, D]` (e.g. the encoder output `[h, w, D]` reshaped).
    ///   - codebook: `[K, D]`.
    /// - Returns: N indices in `0..<K`; the lowest index among equal distances.
    public static func nearestCodeIndices(_ z: Tensor, codebook: Tensor) -> [Int] {
        precondition(z.rank == 2 && codebook.rank == 2 && z.shape[1] == codebook.shape[1],
                     "nearestCodeIndices: need z [N, D] and codebook [K, D], got \(z.shape) and \(codebook.shape)")
        let n = z.shape[0], k = codebook.shape[0]
        precondition(k > 0 || n == 0, "nearestCodeIndices: empty codebook")
        let dots = matmul(z, codebook, transposeB: true)  // [N, K]
        let zNorms = rowSquaredNorms(z)                    // [N]
        let codeNorms = rowSquaredNorms(codebook)          // [K]
        var indices = [Int](repeating: 0, count: n)
        dots.storage.withUnsafeBufferPointer { g in
            indices.withUnsafeMutableBufferPointer { best in
                Parallel.forEachRange(n, minimumChunk: max(1, elementwiseChunk / max(1, k))) { rows in
                    for i in rows {
                        var bestIndex = 0
                        var bestDistance = Float.infinity
                        for j in 0..<k {
                            let distance = (zNorms[i] - 2 * g[i * k + j]) + codeNorms[j]
                            if distance < bestDistance {
                                bestDistance = distance
                                bestIndex = j
                            }
                        }
                        best[i] = bestIndex
                    }
                }
            }
        }
        return indices
    }

    /// Σ_d x[r, d]² for each row of a matrix, in float32 as upstream's jnp.sum.
    private static func rowSquaredNorms(_ x: Tensor) -> [Float] {
        let rows = x.shape[0], d = x.shape[1]
        var norms = [Float](repeating: 0, count: rows)
        x.storage.withUnsafeBufferPointer { p in
            for r in 0..<rows {
                var sum: Float = 0
                for j in 0..<d { sum += p[r * d + j] * p[r * d + j] }
                norms[r] = sum
            }
        }
        return norms
    }
}
