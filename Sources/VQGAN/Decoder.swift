// VQGAN decoder (port of vqgan_tokenizer.py Decoder, L135-162).
//
// Legend: h, w token grid; S = tokenStride; D = embedding dim; C_i channels of level i.
// [h, w, D] → Conv3x3 (bias) to C_last → numResBlocks ResBlocks → for level i = last...0:
// numResBlocks ResBlocks to C_i, and if i > 0: nearest x2 then Conv3x3 (bias) → GN → swish →
// Conv3x3 (bias) to 3 channels → [h·S, w·S, 3] (not clipped).

import Checkpoints
import Tensors

/// The tokenizer's decoder (checkpoint scope `decoder`).
public struct VQGANDecoder: Sendable {
    let config: VQGANConfig
    let stem: Conv                  // Conv_0 [3, 3, D, C_last]
    let blocks: [ResBlock]          // ResBlock_0 ... (levels + 1) * numResBlocks - 1
    let upsampleConvs: [Conv]       // Conv_1 ... Conv_{levels-1}, after each upsampling
    let norm: GroupNorm             // GroupNorm_0 [C_0]
    let output: Conv                // Conv_{levels} [3, 3, C_0, 3]

    init(_ w: WeightScope, config: VQGANConfig) throws {
        self.config = config
        var channels = config.channels(level: config.levels - 1)
        stem = try Conv(w("Conv_0"), size: 3, in: config.embeddingDim, out: channels, bias: true)
        var blocks: [ResBlock] = []
        for _ in 0..<config.numResBlocks {
            blocks.append(try ResBlock(w("ResBlock_\(blocks.count)"), in: channels, out: channels, config: config))
        }
        var convs: [Conv] = []
        for level in stride(from: config.levels - 1, through: 0, by: -1) {
            let out = config.channels(level: level)
            for _ in 0..<config.numResBlocks {
                blocks.append(try ResBlock(w("ResBlock_\(blocks.count)"), in: channels, out: out, config: config))
                channels = out
            }
            if level > 0 {
                convs.append(try Conv(w("Conv_\(convs.count + 1)"), size: 3, in: channels, out: channels, bias: true))
            }
        }
        self.blocks = blocks
        upsampleConvs = convs
        norm = try GroupNorm(w("GroupNorm_0"), channels: channels, config: config)
        output = try Conv(w("Conv_\(convs.count + 1)"), size: 3, in: channels, out: 3, bias: true)
    }

    /// Decodes latents [h, w, D] to pixels [h·S, w·S, 3] (nominally [0, 1], not clipped).
    public func callAsFunction(_ latents: Tensor) -> Tensor {
        var x = stem(latents)                                      // [h, w, C_last]
        var index = 0
        for _ in 0..<config.numResBlocks {
            x = blocks[index](x)
            index += 1
        }
        var up = 0
        for level in stride(from: config.levels - 1, through: 0, by: -1) {
            for _ in 0..<config.numResBlocks {
                x = blocks[index](x)
                index += 1
            }
            if level > 0 {
                x = upsampleConvs[up](Ops.upsampleNearest2x(x))     // [2h, 2w, C]
                up += 1
            }
        }
        return output(normSwish(norm, x))                         // [H, W, 3]
    }
}
