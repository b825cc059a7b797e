// Vector quantizer (port of vqgan_tokenizer.py VectorQuantizer, L165-228, and losses.py L21-42):
// nearest code by squared L2 distance ‖z‖² − 2z·e + ‖e‖², no normalisation, ties to the lowest id.
//
// Legend: N latents, K codes, D embedding dim.

import Checkpoints
import Tensors

/// The codebook (checkpoint scope `quantizer`).
public struct VectorQuantizer: Sendable {
    /// [K, D]
    public let codebook: Tensor

    init(_ w: WeightScope, config: VQGANConfig) throws {
        codebook = try w.take("codebook", [config.codebookSize, config.embeddingDim])
    }

    /// Token ids of latents [h, w, D], row-major.
    public func encode(_ latents: Tensor) -> [Int32] {
        let d = codebook.shape[1]
        let flat = latents.reshaped([latents.count / d, d])                  // [N, D]
        return Ops.nearestCodeIndices(flat, codebook: codebook).map { Int32($0) }
    }

    /// Latents [h, w, D] of a token grid (`take(codebook, ids)`).
    public func embed(_ ids: [Int32], height: Int, width: Int) -> Tensor {
        let d = codebook.shape[1]
        let k = codebook.shape[0]
        var out = [Float](repeating: 0, count: ids.count * d)
        codebook.storage.withUnsafeBufferPointer { table in
            out.withUnsafeMutableBufferPointer { dst in
                for (i, id) in ids.enumerated() {
                    let row = Int(min(max(id, 0), Int32(k - 1)))
                    for j in 0..<d { dst[i * d + j] = table[row * d + j] }
                }
            }
        }
        return Tensor(shape: [height, width, d], storage: out)             // [h, w, D]
    }
}
