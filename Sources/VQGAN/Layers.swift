// Layers of the MaskGIT VQGAN (port of maskgit/nets/vqgan_tokenizer.py and maskgit/nets/layers.py):
// Conv (Flax nn.Conv, 'SAME', stride 1, HWIO), GroupNorm, and ResBlock with the official
// shortcut quirk.
//
// Legend: H, W spatial extents; Ci, Co input and output channels. Feature maps are [H, W, C].

import Checkpoints
import Tensors

/// A convolution with an HWIO kernel and an optional bias (checkpoint: `kernel`, `bias`).
/// The kernel is reordered once at load for oneDNN's NHWC convolution, in the precision
/// `Kernels.precision` holds then (nil when oneDNN is not in use: im2col + GEMM).
struct Conv: Sendable {
    let kernel: Tensor              // [K, K, Ci, Co]
    let bias: Tensor?               // [Co]
    let prepared: PreparedConv2D?   // the reordered kernel, or nil

    init(_ w: WeightScope, size: Int, in ci: Int, out co: Int, bias: Bool) throws {
        kernel = try w.take("kernel", [size, size, ci, co])
        self.bias = bias ? try w.take("bias", [co]) : nil
        prepared = PreparedConv2D(kernel: kernel, bias: self.bias, precision: Kernels.precision)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        Ops.conv2D(x, prepared: prepared, kernel: kernel, bias: bias)   // [H, W, Ci] -> [H, W, Co]
    }
}

/// Flax GroupNorm (checkpoint: `scale`, `bias`).
struct GroupNorm: Sendable {
    let scale: Tensor   // [C]
    let bias: Tensor    // [C]
    let groups: Int
    let epsilon: Float

    init(_ w: WeightScope, channels: Int, config: VQGANConfig) throws {
        scale = try w.take("scale", [channels])
        bias = try w.take("bias", [channels])
        groups = config.numGroups
        epsilon = config.groupNormEpsilon
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        Ops.groupNorm(x, groups: groups, epsilon: epsilon, scale: scale, bias: bias)
    }
}

/// GroupNorm then swish, the pre-activation used throughout the tokenizer (one fused kernel).
func normSwish(_ norm: GroupNorm, _ x: Tensor) -> Tensor {
    Ops.groupNormSwish(x, groups: norm.groups, epsilon: norm.epsilon, scale: norm.scale, bias: norm.bias)
}

/// ResBlock (vqgan_tokenizer.py L31-60): GN → swish → Conv3x3 → GN → swish → Conv3x3, no biases.
///
/// Quirk kept on purpose: when the channel count changes, the official code applies the 1x1
/// shortcut conv (`Conv_2`, kernel [1, 1, Co, Co]) to the block's own output h and returns
/// h + Conv_2(h); the block input is dropped. Otherwise the result is h + x.
struct ResBlock: Sendable {
    let norm0: GroupNorm    // GroupNorm_0 [Ci]
    let conv0: Conv         // Conv_0 [3, 3, Ci, Co]
    let norm1: GroupNorm    // GroupNorm_1 [Co]
    let conv1: Conv         // Conv_1 [3, 3, Co, Co]
    let shortcut: Conv?     // Conv_2 [1, 1, Co, Co], only when Ci != Co

    init(_ w: WeightScope, in ci: Int, out co: Int, config: VQGANConfig) throws {
        norm0 = try GroupNorm(w("GroupNorm_0"), channels: ci, config: config)
        conv0 = try Conv(w("Conv_0"), size: 3, in: ci, out: co, bias: false)
        norm1 = try GroupNorm(w("GroupNorm_1"), channels: co, config: config)
        conv1 = try Conv(w("Conv_1"), size: 3, in: co, out: co, bias: false)
        shortcut = ci != co ? try Conv(w("Conv_2"), size: 1, in: co, out: co, bias: false) : nil
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = conv0(normSwish(norm0, x))   // [H, W, Co]
        h = conv1(normSwish(norm1, h))       // [H, W, Co]
        if let shortcut {
            let residual = shortcut(h)       // quirk: the shortcut sees h, not x
            Ops.addInPlace(&h, residual)
        } else {
            Ops.addInPlace(&h, x)
        }
        return h
    }
}
