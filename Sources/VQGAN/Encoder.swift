// VQGAN encoder (port of vqgan_tokenizer.py Encoder, L84-112).
//
// Legend: H, W image size; S = tokenStride; F = filters; D = embedding dim.
// [H, W, 3] in [0, 1] → Conv3x3 (no bias) → per level: numResBlocks ResBlocks, then a 2x2 average
// pool except after the last level → numResBlocks ResBlocks → GN → swish → Conv1x1 (bias) → [H/S, W/S, D].

import Checkpoints
import Tensors

/// The tokenizer's encoder (checkpoint scope `encoder`).
public struct VQGANEncoder: Sendable {
    let config: VQGANConfig
    let stem: Conv                  // Conv_0 [3, 3, 3, F]
    let blocks: [ResBlock]          // ResBlock_0 ... (levels + 1) * numResBlocks - 1
    let norm: GroupNorm             // GroupNorm_0
    let head: Conv                  // Conv_1 [1, 1, C_last, D]

    init(_ w: WeightScope, config: VQGANConfig) throws {
        self.config = config
        stem = try Conv(w("Conv_0"), size: 3, in: 3, out: config.filters, bias: false)
        var blocks: [ResBlock] = []
        var channels = config.filters
        for level in 0..<config.levels {
            for _ in 0..<config.numResBlocks {
                let out = config.channels(level: level)
                blocks.append(try ResBlock(w("ResBlock_\(blocks.count)"), in: channels, out: out, config: config))
                channels = out
            }
        }
        for _ in 0..<config.numResBlocks {
            blocks.append(try ResBlock(w("ResBlock_\(blocks.count)"), in: channels, out: channels, config: config))
        }
        self.blocks = blocks
        norm = try GroupNorm(w("GroupNorm_0"), channels: channels, config: config)
        head = try Conv(w("Conv_1"), size: 1, in: channels, out: config.embeddingDim, bias: true)
    }

    /// Encodes an image [H, W, 3] in [0, 1] (H, W multiples of the token stride) to latents [H/S, W/S, D].
    public func callAsFunction(_ image: Tensor) -> Tensor {
        var x = stem(image)                                        // [H, W, F]
        var index = 0
        for level in 0..<config.levels {
            for _ in 0..<config.numResBlocks {
                x = blocks[index](x)
                index += 1
            }
            if level < config.levels - 1 { x = Ops.avgPool2x2(x) }  // [H/2, W/2, C]
        }
        for _ in 0..<config.numResBlocks {
            x = blocks[index](x)
            index += 1
        }
        return head(normSwish(norm, x))                           // [H/S, W/S, D]
    }
}
