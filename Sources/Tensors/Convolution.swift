// Convolution: Flax `nn.Conv` with stride 1 and 'SAME' padding, on GEMM (VQGAN encoder/decoder).
//
// Legend: H, W spatial extents; Ci, Co input and output channels; KH, KW kernel extents;
// R rows of one band; KK = KH·KW·Ci, the contracted extent of the im2col product.
//
// Design: 1x1 kernels are one GEMM, [H·W, Ci]·[Ci, Co], with no scratch. Larger kernels use
// im2col tiled over bands of output rows: for a band of R rows, fill col [R·W, KK] (a patch per
// pixel, taps in HWIO order so the HWIO kernel is already the [KK, Co] right-hand matrix), then
// one GEMM writes the band's [R·W, Co] outputs, which are contiguous in NHWC. R is the largest
// count whose col fits `scratchLimitBytes` (at least 1). A full im2col of a 3x3 conv on
// [256, 256, 128] would take 302 MB; with the default 16 MiB cap it takes 14 rows (15.75 MiB)
// per band, 19 bands, and still hands BLAS products of 3584 x 1152 x 128. The col fill is an
// element-wise copy run on `Parallel` workers; the GEMM runs after it, never inside it.
//
// Padding follows lax 'SAME' at stride 1: KH−1 rows in total, (KH−1)/2 before and the rest
// after (symmetric for odd kernels, one more after for even ones); likewise for columns.

/// How `Ops.conv2D` tiles one convolution.
public struct Conv2DPlan: Sendable, Equatable {
    /// Output rows per im2col band (H when no scratch is used).
    public let rowsPerBand: Int
    /// Number of bands, i.e. GEMM calls.
    public let bandCount: Int
    /// Floats in the im2col scratch buffer (0 for a 1x1 kernel).
    public let scratchElements: Int
    /// Bytes of the im2col scratch buffer.
    public var scratchBytes: Int { scratchElements * MemoryLayout<Float>.stride }
}

extension Ops {
    /// Default cap on the im2col scratch of one `conv2D` call (16 MiB).
    public static let defaultConvScratchBytes = 16 << 20

    /// The tiling `conv2D` uses for these shapes.
    ///
    /// - Parameters:
    ///   - inputShape: `[H, W, Ci]`.
    ///   - kernelShape: `[KH, KW, Ci, Co]` (HWIO).
    ///   - scratchLimitBytes: cap on the im2col buffer; if one output row alone needs more,
    ///     the band is that one row.
    public static func conv2DPlan(
        inputShape: [Int], kernelShape: [Int], scratchLimitBytes: Int = defaultConvScratchBytes
    ) -> Conv2DPlan {
        precondition(inputShape.count == 3 && kernelShape.count == 4,
                     "conv2D: need input [H, W, Ci] and kernel [KH, KW, Ci, Co], got \(inputShape) and \(kernelShape)")
        let h = inputShape[0], w = inputShape[1], ci = inputShape[2]
        let kh = kernelShape[0], kw = kernelShape[1]
        precondition(kernelShape[2] == ci,
                     "conv2D: kernel \(kernelShape) expects \(kernelShape[2]) input channels, input \(inputShape) has \(ci)")
        precondition(kh >= 1 && kw >= 1, "conv2D: empty kernel \(kernelShape)")
        if kh == 1 && kw == 1 {
            return Conv2DPlan(rowsPerBand: h, bandCount: h > 0 ? 1 : 0, scratchElements: 0)
        }
        let rowElements = w * kh * kw * ci  // col floats for one output row
        guard h > 0, rowElements > 0 else {
            return Conv2DPlan(rowsPerBand: h, bandCount: 0, scratchElements: 0)
        }
        let limitElements = scratchLimitBytes / MemoryLayout<Float>.stride
        let rows = max(1, min(h, limitElements / rowElements))
        return Conv2DPlan(rowsPerBand: rows, bandCount: (h + rows - 1) / rows,
                          scratchElements: rows * rowElements)
    }

    /// 2-D convolution, stride 1, 'SAME' padding, as Flax `nn.Conv` with an HWIO kernel.
    ///
    /// - Parameters:
    ///   - input: `[H, W, Ci]`.
    ///   - kernel: `[KH, KW, Ci, Co]`, exactly as Flax stores it.
    ///   - bias: `[Co]`, or nil for `use_bias=False`.
    ///   - scratchLimitBytes: cap on the im2col scratch (see `conv2DPlan`).
    /// - Returns: `[H, W, Co]`.
    public static func conv2D(
        _ input: Tensor, kernel: Tensor, bias: Tensor? = nil,
        scratchLimitBytes: Int = defaultConvScratchBytes
    ) -> Tensor {
        let plan = conv2DPlan(inputShape: input.shape, kernelShape: kernel.shape,
                              scratchLimitBytes: scratchLimitBytes)
        let h = input.shape[0], w = input.shape[1], ci = input.shape[2]
        let kh = kernel.shape[0], kw = kernel.shape[1], co = kernel.shape[3]
        // [H, W, Co]: the bias row in every pixel (GEMM beta = 1), or unset (beta = 0 overwrites).
        var output = Tensor(uninitialized: [h, w, co])
        if let bias {
            precondition(bias.shape == [co], "conv2D: bias \(bias.shape) must be [\(co)]")
            fillRows(&output, with: bias)
        }
        guard h > 0, w > 0, co > 0 else { return output }
        let beta: Float = bias == nil ? 0 : 1

        if plan.scratchElements == 0 {
            // 1x1 (or Ci = 0): [H·W, Ci]·[Ci, Co] → [H·W, Co].
            Ops.matmul(input.reshaped([h * w, ci]), kernel.reshaped([ci, co]),
                       into: &output, accumulate: beta == 1)
            return output
        }

        let kk = kh * kw * ci
        // [R·W, KK]; fillColumns writes every element of a band before its GEMM reads it.
        var col = [Float](unsafeUninitializedCapacity: plan.scratchElements) { _, n in n = plan.scratchElements }
        input.storage.withUnsafeBufferPointer { src in
            kernel.storage.withUnsafeBufferPointer { weights in
                output.storage.withUnsafeMutableBufferPointer { dst in
                    col.withUnsafeMutableBufferPointer { scratch in
                        let padTop = (kh - 1) / 2, padLeft = (kw - 1) / 2
                        var y0 = 0
                        while y0 < h {
                            let rows = min(plan.rowsPerBand, h - y0)
                            fillColumns(src.baseAddress!, h: h, w: w, ci: ci, kh: kh, kw: kw,
                                        padTop: padTop, padLeft: padLeft,
                                        firstRow: y0, rows: rows, into: scratch.baseAddress!)
                            // [R·W, KK]·[KK, Co] → rows y0..<y0+R of [H, W, Co].
                            BLAS.gemm(m: rows * w, n: co, k: kk,
                                      a: scratch.baseAddress!, lda: kk,
                                      b: weights.baseAddress!, ldb: co, transposeB: false,
                                      beta: beta,
                                      c: dst.baseAddress! + y0 * w * co, ldc: co)
                            y0 += rows
                        }
                    }
                }
            }
        }
        return output
    }

    /// im2col for output rows `firstRow ..< firstRow + rows`: col[(r·W + x), (ky·KW + kx)·Ci + c]
    /// = input[firstRow + r + ky − padTop, x + kx − padLeft, c], or 0 outside the map.
    private static func fillColumns(
        _ src: UnsafePointer<Float>, h: Int, w: Int, ci: Int, kh: Int, kw: Int,
        padTop: Int, padLeft: Int, firstRow: Int, rows: Int,
        into col: UnsafeMutablePointer<Float>
    ) {
        let kk = kh * kw * ci
        let tapRow = kw * ci  // one kernel row of a patch: KW·Ci contiguous input floats inside the map
        Parallel.forEachRange(rows * w, minimumChunk: max(1, 16_384 / max(1, kk))) { pixels in
            for pixel in pixels {
                let y = firstRow + pixel / w, x = pixel % w
                let patch = col + pixel * kk
                let x0 = x - padLeft
                for ky in 0..<kh {
                    let iy = y + ky - padTop
                    let dst = patch + ky * tapRow
                    if iy < 0 || iy >= h {
                        dst.update(repeating: 0, count: tapRow)
                    } else if x0 >= 0 && x0 + kw <= w {
                        dst.update(from: src + (iy * w + x0) * ci, count: tapRow)
                    } else {
                        for kx in 0..<kw {
                            let ix = x0 + kx
                            if ix < 0 || ix >= w {
                                (dst + kx * ci).update(repeating: 0, count: ci)
                            } else {
                                (dst + kx * ci).update(from: src + (iy * w + ix) * ci, count: ci)
                            }
                        }
                    }
                }
            }
        }
    }
}
