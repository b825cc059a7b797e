// Reference: naive twins of the products (Linear.swift, Convolution.swift, Quantization.swift).
//
// Plain loops over the definitions, Double accumulators, no BLAS and no pointers; used by the
// tests to check the fast kernels, and free to be slow.
//
// Legend: M, K, N product extents; H, W, Ci, Co, KH, KW as in Convolution.swift; N vectors of
// dimension D against K codes in the quantizer.

/// Naive twins of the `Ops` kernels, with the same signatures.
public enum Reference {}

extension Reference {
    /// a [..., K] · b [K, N] (b [N, K] when `transposeB`) + bias [N] → [..., N].
    public static func matmul(
        _ a: Tensor, _ b: Tensor, transposeB: Bool = false, bias: Tensor? = nil
    ) -> Tensor {
        let k = a.shape[a.rank - 1]
        let n = transposeB ? b.shape[0] : b.shape[1]
        precondition(k == (transposeB ? b.shape[1] : b.shape[0]), "Reference.matmul: \(a.shape) · \(b.shape)")
        let m = a.shape.dropLast().reduce(1, *)
        var out = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum: Double = bias.map { Double($0.storage[j]) } ?? 0
                for p in 0..<k {
                    let bValue = transposeB ? b.storage[j * k + p] : b.storage[p * n + j]
                    sum += Double(a.storage[i * k + p]) * Double(bValue)
                }
                out[i * n + j] = Float(sum)
            }
        }
        return Tensor(shape: Array(a.shape.dropLast()) + [n], storage: out)
    }

    /// [B, M, K] · [B, K, N] (or [B, N, K] when `transposeB`) → [B, M, N], one matmul per entry.
    public static func batchedMatmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false) -> Tensor {
        let batch = a.shape[0]
        var out: [Float] = []
        var shape = [batch, a.shape[1], 0]
        for i in 0..<batch {
            let ai = Tensor(shape: [a.shape[1], a.shape[2]],
                            storage: Array(a.storage[(i * a.shape[1] * a.shape[2])..<((i + 1) * a.shape[1] * a.shape[2])]))
            let bi = Tensor(shape: [b.shape[1], b.shape[2]],
                            storage: Array(b.storage[(i * b.shape[1] * b.shape[2])..<((i + 1) * b.shape[1] * b.shape[2])]))
            let ci = matmul(ai, bi, transposeB: transposeB)
            shape[2] = ci.shape[1]
            out += ci.storage
        }
        if batch == 0 { shape[2] = transposeB ? b.shape[1] : b.shape[2] }
        return Tensor(shape: shape, storage: out)
    }

    /// Stride-1 'SAME' convolution by its definition:
    /// out[y, x, o] = bias[o] + Σ input[y + ky − (KH−1)/2, x + kx − (KW−1)/2, c] · kernel[ky, kx, c, o],
    /// the sum over taps that land inside the map.
    public static func conv2D(_ input: Tensor, kernel: Tensor, bias: Tensor? = nil) -> Tensor {
        let h = input.shape[0], w = input.shape[1], ci = input.shape[2]
        let kh = kernel.shape[0], kw = kernel.shape[1], co = kernel.shape[3]
        precondition(kernel.shape[2] == ci, "Reference.conv2D: \(input.shape) with kernel \(kernel.shape)")
        let padTop = (kh - 1) / 2, padLeft = (kw - 1) / 2
        var out = [Float](repeating: 0, count: h * w * co)
        for y in 0..<h {
            for x in 0..<w {
                for o in 0..<co {
                    var sum: Double = bias.map { Double($0.storage[o]) } ?? 0
                    for ky in 0..<kh {
                        for kx in 0..<kw {
                            let iy = y + ky - padTop, ix = x + kx - padLeft
                            guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                            for c in 0..<ci {
                                sum += Double(input.storage[(iy * w + ix) * ci + c])
                                    * Double(kernel.storage[((ky * kw + kx) * ci + c) * co + o])
                            }
                        }
                    }
                    out[(y * w + x) * co + o] = Float(sum)
                }
            }
        }
        return Tensor(shape: [h, w, co], storage: out)
    }

    /// argmin over codebook rows of Σ_d (z[i, d] − e[j, d])², computed directly in Double;
    /// the first (lowest) index wins ties.
    public static func nearestCodeIndices(_ z: Tensor, codebook: Tensor) -> [Int] {
        let n = z.shape[0], d = z.shape[1], k = codebook.shape[0]
        return (0..<n).map { i in
            var best = 0
            var bestDistance = Double.infinity
            for j in 0..<k {
                var distance: Double = 0
                for p in 0..<d {
                    let diff = Double(z.storage[i * d + p]) - Double(codebook.storage[j * d + p])
                    distance += diff * diff
                }
                if distance < bestDistance {
                    bestDistance = distance
                    best = j
                }
            }
            return best
        }
    }
}

extension Reference {
    /// Multi-head attention by its definition, through the [L, H, hd] → [H, L, hd] permutes:
    /// per head softmax(q·kᵀ/√hd)·v, heads back side by side → [L, H·hd].
    public static func multiHeadAttention(query: Tensor, key: Tensor, value: Tensor, heads: Int) -> Tensor {
        let l = query.shape[0], c = query.shape[1], hd = c / heads
        func split(_ t: Tensor) -> Tensor { t.reshaped([l, heads, hd]).permuted([1, 0, 2]) }  // [H, L, hd]
        let scores = scale(batchedMatmul(split(query), split(key), transposeB: true), by: 1 / Float(hd).squareRoot())
        let context = batchedMatmul(softmax(scores), split(value))                             // [H, L, hd]
        return context.permuted([1, 0, 2]).reshaped([l, c])
    }
}

extension Reference {
    /// Each value rounded to the nearest bfloat16 (8 significand bits, ties to even), returned as
    /// Float: the rounding the bf16 path applies to GEMM inputs and weights. NaN stays NaN.
    public static func roundedToBF16(_ x: Tensor) -> Tensor {
        Tensor(shape: x.shape, storage: x.storage.map { value in
            if value.isNaN { return value }
            let bits = value.bitPattern
            let lsb = (bits >> 16) & 1
            let rounded = bits &+ 0x7FFF &+ lsb  // carry into the exponent rounds up to ±inf correctly
            return Float(bitPattern: rounded & 0xFFFF_0000)
        })
    }
}
