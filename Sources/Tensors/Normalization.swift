// Normalization: Flax nn.GroupNorm (VQGAN) and nn.LayerNorm (transformer, eps 1e-12).
//
// Legend: P positions (all leading axes flattened, H·W for a feature map), C channels (last
// axis), G groups, Cg = C/G channels per group.
//
// Statistics are two-pass with Double accumulators: the mean first, then the mean of squared
// deviations (biased variance). Flax computes E[x²] − E[x]² in float32, which can lose digits
// when |mean| ≫ std; the two-pass form is the accurate value that formula approximates. The
// output is (x − mean)·(scale/√(var + eps)) + bias, subtracting the mean before scaling so
// that a large mean does not cancel.

import Foundation
import VectorKernels

extension Ops {
    /// Group normalization as Flax `nn.GroupNorm` (batch 1).
    ///
    /// - Parameters:
    ///   - x: `[..., C]`, e.g. `[H, W, C]`; statistics per group over all leading axes and the
    ///     group's Cg consecutive channels.
    ///   - groups: G, which must divide C (Flax default 32).
    ///   - epsilon: added to the variance (Flax default 1e-6).
    ///   - scale: `[C]`; bias: `[C]`.
    /// - Returns: the shape of `x`.
    public static func groupNorm(
        _ x: Tensor, groups: Int, epsilon: Float = 1e-6, scale: Tensor, bias: Tensor
    ) -> Tensor {
        groupNorm(x, groups: groups, epsilon: epsilon, scale: scale, bias: bias, swish: false)
    }

    /// Group normalization followed by swish, x·sigmoid(x), in one pass over the output (the
    /// VQGAN's pre-activation); the same values as `swish(groupNorm(...))`, bit for bit.
    public static func groupNormSwish(
        _ x: Tensor, groups: Int, epsilon: Float = 1e-6, scale: Tensor, bias: Tensor
    ) -> Tensor {
        groupNorm(x, groups: groups, epsilon: epsilon, scale: scale, bias: bias, swish: true)
    }

    private static func groupNorm(
        _ x: Tensor, groups: Int, epsilon: Float, scale: Tensor, bias: Tensor, swish: Bool
    ) -> Tensor {
        let c = x.shape.last ?? 0
        precondition(x.rank >= 1 && groups > 0 && c % groups == 0,
                     "groupNorm: \(groups) groups must divide the \(c) channels of \(x.shape)")
        precondition(scale.shape == [c] && bias.shape == [c],
                     "groupNorm: scale \(scale.shape) and bias \(bias.shape) must be [\(c)]")
        guard x.count > 0 else { return x }
        let p = x.count / c, cg = c / groups
        let groupSize = Double(p * cg)
        let channelTotals = channelSums(x, rows: p, channels: c, center: nil)           // [C]
        let means = groupTotals(channelTotals, groups: groups).map { $0 / groupSize }  // [G]
        let meanOfChannel = (0..<c).map { means[$0 / cg] }                           // [C]
        let squareTotals = channelSums(x, rows: p, channels: c, center: meanOfChannel) // [C]
        let variances = groupTotals(squareTotals, groups: groups).map { $0 / groupSize } // [G]
        // The mean as a float32 pair hi + lo: x − hi is exact for x near the mean, so a mean far
        // from zero (relative to the spread) costs no digits.
        let shiftHigh = meanOfChannel.map { Float($0) }                                      // [C]
        let shiftLow = (0..<c).map { Float(meanOfChannel[$0] - Double(shiftHigh[$0])) }      // [C]
        let factor = (0..<c).map { j in                                                      // [C]
            Float(Double(scale.storage[j]) / (variances[j / cg] + Double(epsilon)).squareRoot())
        }
        var out = Tensor(uninitialized: x.shape)  // every element written below
        normalizeRows(x, into: &out, rows: p, channels: c, shiftHigh: shiftHigh, shiftLow: shiftLow,
                      factor: factor, bias: bias.storage, swish: swish)
        return out
    }

    /// Per-channel Σ x (center nil) or Σ (x − center[j])² over the rows of x [P, C], in Double,
    /// one partial row of sums per `Parallel` chunk, each chunk summed by the wide C kernel
    /// (`mgv_channel_sums`, VectorKernels); its naive twin is `Reference.channelSums`.
    static func channelSums(_ x: Tensor, rows p: Int, channels c: Int, center: [Double]?) -> [Double] {
        let minimumRows = max(1, elementwiseChunk / c)
        let chunks = Parallel.chunkCount(p, minimumChunk: minimumRows)
        var partial = [Double](repeating: 0, count: chunks * c)  // [chunks, C]
        x.storage.withUnsafeBufferPointer { src in
            partial.withUnsafeMutableBufferPointer { accumulators in
                let acc = accumulators  // the buffer pointer itself, not the inout binding
                let run = { (mu: UnsafePointer<Double>?) in
                    Parallel.forEachChunk(p, minimumChunk: minimumRows) { chunk, range in
                        mgv_channel_sums(src.baseAddress! + range.lowerBound * c, range.count, c, mu,
                                         acc.baseAddress! + chunk * c)
                    }
                }
                if let center {
                    center.withUnsafeBufferPointer { run($0.baseAddress!) }
                } else {
                    run(nil)
                }
            }
        }
        var totals = [Double](repeating: 0, count: c)
        for chunk in 0..<chunks {
            for j in 0..<c { totals[j] += partial[chunk * c + j] }
        }
        return totals
    }

    /// Sums of consecutive runs of C/G channel totals: [C] → [G].
    private static func groupTotals(_ channelTotals: [Double], groups: Int) -> [Double] {
        let cg = channelTotals.count / groups
        return (0..<groups).map { g in channelTotals[(g * cg)..<((g + 1) * cg)].reduce(0, +) }
    }

    /// Layer normalization over the last axis as Flax `nn.LayerNorm`.
    ///
    /// - Parameters:
    ///   - x: `[..., C]`; each row of C is normalised on its own.
    ///   - epsilon: added to the variance (Flax default 1e-6; the MaskGIT transformer uses 1e-12).
    ///   - scale: `[C]`; bias: `[C]`.
    /// - Returns: the shape of `x`.
    public static func layerNorm(
        _ x: Tensor, epsilon: Float = 1e-6, scale: Tensor, bias: Tensor
    ) -> Tensor {
        layerNorm(x, adding: nil, epsilon: epsilon, scale: scale, bias: bias)
    }

    /// LayerNorm of `x + residual` (the post-LN block's LN(y + x)): the add is made in the norm's
    /// first pass, so the result equals `layerNorm(add(x, residual), ...)` bit for bit with one
    /// pass fewer over the rows.
    ///
    /// - Parameters: as `layerNorm(_:epsilon:scale:bias:)`; `residual` of the shape of `x`, or nil.
    public static func layerNorm(
        _ x: Tensor, adding residual: Tensor?, epsilon: Float = 1e-6, scale: Tensor, bias: Tensor
    ) -> Tensor {
        let c = x.shape.last ?? 0
        precondition(x.rank >= 1 && scale.shape == [c] && bias.shape == [c],
                     "layerNorm: scale \(scale.shape) and bias \(bias.shape) must be [\(c)] for \(x.shape)")
        if let residual {
            precondition(residual.shape == x.shape, "layerNorm: residual \(residual.shape) must be \(x.shape)")
        }
        guard x.count > 0 else { return x }
        var out = x
        func run(_ extra: UnsafePointer<Float>?) {
            scale.storage.withUnsafeBufferPointer { gamma in
                bias.storage.withUnsafeBufferPointer { beta in
                    out.storage.withUnsafeMutableBufferPointer { p in
                        Parallel.forEachRange(p.count / c, minimumChunk: max(1, elementwiseChunk / c)) { rows in
                            // Two passes (mean, then squared deviations) in 16 float lanes, vectorised
                            // per ISA (VectorKernels); the Double twin is Reference.layerNorm.
                            mgv_layer_norm_rows(p.baseAddress! + rows.lowerBound * c, rows.count, c,
                                                gamma.baseAddress!, beta.baseAddress!, epsilon,
                                                extra.map { $0 + rows.lowerBound * c })
                        }
                    }
                }
            }
        }
        if let residual {
            residual.storage.withUnsafeBufferPointer { run($0.baseAddress!) }
        } else {
            run(nil)
        }
        return out
    }

    /// out[row, j] = ((x[row, j] − shiftHigh[j]) − shiftLow[j])·factor[j] + bias[j] for rows of
    /// `channels`, then swish when `swish` (`swishValue`, the formula of `swishInPlace`).
    private static func normalizeRows(
        _ x: Tensor, into out: inout Tensor, rows: Int, channels c: Int,
        shiftHigh: [Float], shiftLow: [Float], factor: [Float], bias: [Float], swish: Bool
    ) {
        x.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { p in
                shiftHigh.withUnsafeBufferPointer { hi in
                    shiftLow.withUnsafeBufferPointer { lo in
                        factor.withUnsafeBufferPointer { f in
                            bias.withUnsafeBufferPointer { b in
                                Parallel.forEachRange(rows, minimumChunk: max(1, elementwiseChunk / c)) { range in
                                    // Wide (VectorKernels); swish is swishValue, as mgv_swish.
                                    mgv_group_norm_rows(src.baseAddress! + range.lowerBound * c,
                                                        p.baseAddress! + range.lowerBound * c, range.count, c,
                                                        hi.baseAddress!, lo.baseAddress!, f.baseAddress!, b.baseAddress!,
                                                        swish ? 1 : 0)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
