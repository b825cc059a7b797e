// Layers of the MaskGIT bidirectional transformer (port of maskgit/nets/maskgit_transformer.py):
// Dense, LayerNorm, self-attention (Flax nn.SelfAttention with DenseGeneral q/k/v/out), MLP.
//
// Legend: L sequence length, C hidden size, H heads, hd head width (C = H·hd), I MLP width.
// Activations are [L, C] matrices.

import Checkpoints
import Foundation
import Tensors

/// Flax Dense (checkpoint: `kernel` [in, out], `bias` [out]).
/// In bf16 precision (`Kernels.precision` at load) the kernel is also reordered to bf16 once.
struct Dense: Sendable {
    let kernel: Tensor              // [in, out]
    let bias: Tensor                // [out]
    let packed: PreparedMatrix?     // the kernel in bf16 for oneDNN, or nil (fp32)

    init(_ w: WeightScope, in i: Int, out o: Int) throws {
        self.init(kernel: try w.take("kernel", [i, o]), bias: try w.take("bias", [o]))
    }

    init(kernel: Tensor, bias: Tensor) {
        self.kernel = kernel
        self.bias = bias
        packed = PreparedMatrix(kernel, precision: Kernels.precision)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        Ops.matmul(x, kernel, prepared: packed, bias: bias)   // [L, in] -> [L, out]
    }

    /// gelu(x·kernel + bias), tanh form (jax.nn.gelu's default), the bias added in the GELU pass.
    func gelu(_ x: Tensor) -> Tensor {
        Ops.matmulGELU(x, kernel, prepared: packed, bias: bias)
    }
}

/// Flax LayerNorm (checkpoint: `scale`, `bias`).
struct LayerNorm: Sendable {
    let scale: Tensor
    let bias: Tensor
    let epsilon: Float

    init(_ w: WeightScope, channels: Int, epsilon: Float) throws {
        scale = try w.take("scale", [channels])
        bias = try w.take("bias", [channels])
        self.epsilon = epsilon
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        Ops.layerNorm(x, epsilon: epsilon, scale: scale, bias: bias)
    }

    /// LN(x + residual), the add made inside the norm's first pass.
    func callAsFunction(_ x: Tensor, adding residual: Tensor) -> Tensor {
        Ops.layerNorm(x, adding: residual, epsilon: epsilon, scale: scale, bias: bias)
    }
}

/// Multi-head self-attention over all positions (the official attention mask is all ones).
/// DenseGeneral kernels (in, H, hd) and (H, hd, out) are flattened to matrices once, at load.
struct SelfAttention: Sendable {
    let query: Dense    // self_attention/query [C, H·hd]
    let key: Dense      // self_attention/key
    let value: Dense    // self_attention/value
    let out: Dense      // self_attention/out [H·hd, C]
    let heads: Int
    let headDim: Int

    init(_ w: WeightScope, config: TransformerConfig) throws {
        let c = config.hiddenSize, h = config.numHeads, hd = config.headDim
        func projection(_ name: String) throws -> Dense {
            let kernel = try w(name).take("kernel", [c, h, hd]).reshaped([c, h * hd])
            let bias = try w(name).take("bias", [h, hd]).reshaped([h * hd])
            return Dense(kernel: kernel, bias: bias)
        }
        query = try projection("query")
        key = try projection("key")
        value = try projection("value")
        out = Dense(kernel: try w("out").take("kernel", [h, hd, c]).reshaped([h * hd, c]),
                    bias: try w("out").take("bias", [c]))
        heads = h
        headDim = hd
    }

    /// `x` holds `sequences` sequences of equal length stacked as rows; the projections run
    /// over all rows at once, attention within each sequence only.
    func callAsFunction(_ x: Tensor, sequences: Int = 1) -> Tensor {
        // Heads stay side by side in [L, H·hd]; the kernel reads each head's columns in place.
        let q = query(x), k = key(x), v = value(x)
        return out(Ops.multiHeadAttention(query: q, key: k, value: v, heads: heads, sequences: sequences))  // [B·L, C]
    }
}

/// One post-LN encoder layer: x = LN(attn(x) + x); x = LN(mlp(x) + x).
struct TransformerLayer: Sendable {
    let attention: SelfAttention   // Attention_0/self_attention
    let attentionNorm: LayerNorm   // Attention_0/attention_output_ln
    let intermediate: Dense        // Mlp_0/intermediate_output [C, I]
    let output: Dense              // Mlp_0/layer_output [I, C]
    let outputNorm: LayerNorm      // Mlp_0/layer_output_ln

    init(_ w: WeightScope, config: TransformerConfig) throws {
        let c = config.hiddenSize, eps = config.layerNormEpsilon
        attention = try SelfAttention(w("Attention_0")("self_attention"), config: config)
        attentionNorm = try LayerNorm(w("Attention_0")("attention_output_ln"), channels: c, epsilon: eps)
        intermediate = try Dense(w("Mlp_0")("intermediate_output"), in: c, out: config.intermediateSize)
        output = try Dense(w("Mlp_0")("layer_output"), in: config.intermediateSize, out: c)
        outputNorm = try LayerNorm(w("Mlp_0")("layer_output_ln"), channels: c, epsilon: eps)
    }

    func callAsFunction(_ x: Tensor, sequences: Int = 1) -> Tensor {
        let a = attention(x, sequences: sequences)   // [L, C] (or [B·L, C])
        let h = attentionNorm(a, adding: x)
        let m = intermediate.gelu(h)                 // [L, I]; jax.nn.gelu default: tanh approximation
        let o = output(m)                            // [L, C]
        return outputNorm(o, adding: h)
    }
}
