// Activations: GELU (transformer MLP and MLM head), swish (VQGAN), softmax (attention, sampling).
//
// Legend: C the last (contiguous) axis, over which softmax normalises; "..." leading axes.
// Formulas as jax.nn: gelu(approximate=True) is the default the transformer uses.

import Foundation
import VectorKernels

/// Which GELU formula to use.
public enum GELUApproximation: Sendable, Equatable {
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), `jax.nn.gelu(x, approximate=True)`.
    case tanh
    /// 0.5·x·(1 + erf(x/√2)), `jax.nn.gelu(x, approximate=False)`.
    case exact
}

extension Ops {
    /// GELU, element-wise; any shape.
    public static func gelu(_ x: Tensor, approximation: GELUApproximation = .tanh) -> Tensor {
        var out = x
        geluInPlace(&out, approximation: approximation)
        return out
    }

    /// GELU in place; any shape.
    public static func geluInPlace(_ x: inout Tensor, approximation: GELUApproximation = .tanh) {
        switch approximation {
        case .tanh:
            // 0.5·(1 + tanh(u)) = sigmoid(2u), so the tanh form is x / (1 + exp(−2u)): the same
            // function, one exp instead of a (slower) tanh, and no cancellation in 1 + tanh.
            // The C kernel (VectorKernels) is the same formula on the CPU's widest vectors.
            x.storage.withUnsafeMutableBufferPointer { dst in
                Parallel.forEachRange(dst.count, minimumChunk: elementwiseChunk) { range in
                    mgv_gelu_tanh(dst.baseAddress! + range.lowerBound, range.count)
                }
            }
        case .exact:
            let r: Float = 0.7071067811865476  // 1/√2
            map(&x) { v in 0.5 * v * (1 + Foundation.erf(v * r)) }
        }
    }

    /// GELU (tanh form) of A·B + bias: the MLP's first product with its activation. The product
    /// is made without the bias (beta = 0) and the bias is added in the GELU pass, so the [M, N]
    /// result is written by the GEMM and then read and written once, not three times (bias rows,
    /// GEMM with beta = 1, GELU). Equal to `gelu(matmul(a, b, bias: bias))` up to the rounding
    /// of where the bias is added.
    ///
    /// - Parameters:
    ///   - a: `[..., K]`; plain: `[K, N]`, the weights `prepared` was made from (nil: plain fp32).
    ///   - bias: `[N]`.
    public static func matmulGELU(_ a: Tensor, _ plain: Tensor, prepared: PreparedMatrix?, bias: Tensor) -> Tensor {
        var c = matmul(a, plain, prepared: prepared, bias: nil)
        let n = c.shape.last ?? 0
        precondition(bias.shape == [n], "matmulGELU: bias \(bias.shape) must be [\(n)]")
        guard c.count > 0 else { return c }
        bias.storage.withUnsafeBufferPointer { b in
            c.storage.withUnsafeMutableBufferPointer { dst in
                Parallel.forEachRange(dst.count / n, minimumChunk: max(1, elementwiseChunk / n)) { rows in
                    mgv_bias_gelu_tanh_rows(dst.baseAddress! + rows.lowerBound * n, rows.count, n, b.baseAddress!)
                }
            }
        }
        return c
    }

    /// Swish (SiLU), x·sigmoid(x), element-wise; any shape.
    public static func swish(_ x: Tensor) -> Tensor {
        var out = x
        swishInPlace(&out)
        return out
    }

    /// Swish in place; any shape. For x → −∞, exp(−x) overflows to +inf and the result is −0.
    public static func swishInPlace(_ x: inout Tensor) {
        x.storage.withUnsafeMutableBufferPointer { dst in
            Parallel.forEachRange(dst.count, minimumChunk: elementwiseChunk) { range in
                mgv_swish(dst.baseAddress! + range.lowerBound, range.count)  // swishValue, vectorised (VectorKernels)
            }
        }
    }

    /// GELU, tanh form, as x / (1 + e^(−2u)) with u = √(2/π)·(x + 0.044715·x³).
    @inline(__always)
    static func geluTanhValue(_ v: Float) -> Float {
        let k: Float = 2 * 0.7978845608028654  // 2·√(2/π)
        return v / (1 + fastExp(-k * (v + 0.044715 * v * v * v)))
    }

    /// x·sigmoid(x), the one swish formula (also used fused after GroupNorm).
    @inline(__always)
    static func swishValue(_ v: Float) -> Float { v / (1 + fastExp(-v)) }

    /// Softmax over the last axis: x [..., C] → [..., C], each row summing to 1.
    public static func softmax(_ x: Tensor) -> Tensor {
        var out = x
        softmaxInPlace(&out)
        return out
    }

    /// Softmax over the last axis, in place. Stable: exp(x − max) per row; a row of −inf
    /// logits (all masked) gives NaN, as jax.nn.softmax does.
    public static func softmaxInPlace(_ x: inout Tensor) {
        let c = x.shape.last ?? 1
        precondition(x.rank >= 1, "softmax: need at least one axis")
        guard c > 0 else { return }
        x.storage.withUnsafeMutableBufferPointer { p in
            guard let base = p.baseAddress, !p.isEmpty else { return }
            // Fused and wide (VectorKernels): a lane-parallel max, exp with the sum in the same
            // pass, one scale; the exp of VectorMath.swift.
            softmaxRows(base, rows: p.count / c, columns: c)
        }
    }

    /// Softmax of `rows` contiguous rows of `columns` floats at `p`, in place (the kernel of
    /// `softmaxInPlace` and of the OpenBLAS attention path, split over the parallel workers by rows).
    static func softmaxRows(_ p: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        Parallel.forEachRange(rows, minimumChunk: max(1, elementwiseChunk / columns)) { range in
            mgv_softmax_rows(p + range.lowerBound * columns, range.count, columns)
        }
    }
}
