// Reference: naive twins of Normalization.swift, Activations.swift, Pooling.swift and
// Elementwise.swift. Formulas written out in Double, one element at a time.
//
// Legend: P positions (leading axes flattened), C last axis, G groups, H, W, Ho = ⌈H/2⌉, Wo = ⌈W/2⌉.

import Foundation

extension Reference {
    /// Flax GroupNorm by its definition, statistics in Double.
    public static func groupNorm(
        _ x: Tensor, groups: Int, epsilon: Float = 1e-6, scale: Tensor, bias: Tensor
    ) -> Tensor {
        let c = x.shape[x.rank - 1], p = x.count / max(1, c), cg = c / groups
        var out = x.storage
        for g in 0..<groups {
            var values: [Double] = []
            for row in 0..<p {
                for j in (g * cg)..<((g + 1) * cg) { values.append(Double(x.storage[row * c + j])) }
            }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            for row in 0..<p {
                for j in (g * cg)..<((g + 1) * cg) {
                    let normalized = (Double(x.storage[row * c + j]) - mean) / (variance + Double(epsilon)).squareRoot()
                    out[row * c + j] = Float(normalized * Double(scale.storage[j]) + Double(bias.storage[j]))
                }
            }
        }
        return Tensor(shape: x.shape, storage: out)
    }

    /// Per-channel Σ x (center nil) or Σ (x − center[j])² over the rows of x [P, C] in Double,
    /// row after row: the naive twin of the GroupNorm statistics kernel (`mgv_channel_sums`),
    /// which must give the same values bit for bit.
    public static func channelSums(_ x: Tensor, channels c: Int, center: [Double]?) -> [Double] {
        var sums = [Double](repeating: 0, count: c)
        for row in 0..<(x.count / max(1, c)) {
            for j in 0..<c {
                let v = Double(x.storage[row * c + j])
                if let center {
                    let d = v - center[j]
                    sums[j] += d * d
                } else {
                    sums[j] += v
                }
            }
        }
        return sums
    }

    /// Flax LayerNorm over the last axis by its definition, statistics in Double.
    public static func layerNorm(
        _ x: Tensor, epsilon: Float = 1e-6, scale: Tensor, bias: Tensor
    ) -> Tensor {
        let c = x.shape[x.rank - 1]
        var out = x.storage
        for row in 0..<(x.count / max(1, c)) {
            let values = (0..<c).map { Double(x.storage[row * c + $0]) }
            let mean = values.reduce(0, +) / Double(c)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(c)
            for j in 0..<c {
                let normalized = (values[j] - mean) / (variance + Double(epsilon)).squareRoot()
                out[row * c + j] = Float(normalized * Double(scale.storage[j]) + Double(bias.storage[j]))
            }
        }
        return Tensor(shape: x.shape, storage: out)
    }

    /// GELU in Double by the jax.nn.gelu formulas.
    public static func gelu(_ x: Tensor, approximation: GELUApproximation = .tanh) -> Tensor {
        Tensor(shape: x.shape, storage: x.storage.map { value in
            let v = Double(value)
            switch approximation {
            case .tanh: return Float(0.5 * v * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v))))
            case .exact: return Float(0.5 * v * (1 + Foundation.erf(v / 2.0.squareRoot())))
            }
        })
    }

    /// x·sigmoid(x) in Double.
    public static func swish(_ x: Tensor) -> Tensor {
        Tensor(shape: x.shape, storage: x.storage.map { value in
            let v = Double(value)
            return Float(v / (1 + Foundation.exp(-v)))
        })
    }

    /// Softmax over the last axis in Double, subtracting the row maximum.
    public static func softmax(_ x: Tensor) -> Tensor {
        let c = x.shape[x.rank - 1]
        var out = x.storage
        for row in 0..<(x.count / max(1, c)) {
            let values = (0..<c).map { Double(x.storage[row * c + $0]) }
            let peak = values.max() ?? 0
            let exps = values.map { Foundation.exp($0 - peak) }
            let sum = exps.reduce(0, +)
            for j in 0..<c { out[row * c + j] = Float(exps[j] / sum) }
        }
        return Tensor(shape: x.shape, storage: out)
    }

    /// 2x2 / stride 2 'SAME' average over the valid elements of each window.
    public static func avgPool2x2(_ x: Tensor) -> Tensor {
        let h = x.shape[0], w = x.shape[1], c = x.shape[2]
        let ho = (h + 1) / 2, wo = (w + 1) / 2
        var out = [Float](repeating: 0, count: ho * wo * c)
        for oy in 0..<ho {
            for ox in 0..<wo {
                for j in 0..<c {
                    var sum: Double = 0
                    var count = 0
                    for y in (2 * oy)..<(2 * oy + 2) where y < h {
                        for xx in (2 * ox)..<(2 * ox + 2) where xx < w {
                            sum += Double(x.storage[(y * w + xx) * c + j])
                            count += 1
                        }
                    }
                    out[(oy * wo + ox) * c + j] = Float(sum / Double(count))
                }
            }
        }
        return Tensor(shape: [ho, wo, c], storage: out)
    }

    /// out[y, x, c] = x[y / 2, x / 2, c].
    public static func upsampleNearest2x(_ x: Tensor) -> Tensor {
        let h = x.shape[0], w = x.shape[1], c = x.shape[2]
        var out = [Float](repeating: 0, count: 4 * h * w * c)
        for y in 0..<(2 * h) {
            for xx in 0..<(2 * w) {
                for j in 0..<c { out[(y * 2 * w + xx) * c + j] = x.storage[((y / 2) * w + xx / 2) * c + j] }
            }
        }
        return Tensor(shape: [2 * h, 2 * w, c], storage: out)
    }

    /// Element-wise a + b.
    public static func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        Tensor(shape: a.shape, storage: zip(a.storage, b.storage).map { $0 + $1 })
    }

    /// x [..., C] + bias [C].
    public static func addBias(_ x: Tensor, _ bias: Tensor) -> Tensor {
        let c = bias.count
        return Tensor(shape: x.shape, storage: x.storage.indices.map { x.storage[$0] + bias.storage[$0 % c] })
    }

    /// x · factor.
    public static func scale(_ x: Tensor, by factor: Float) -> Tensor {
        Tensor(shape: x.shape, storage: x.storage.map { $0 * factor })
    }

    /// swish(groupNorm(x)), the twin of `Ops.groupNormSwish`.
    public static func groupNormSwish(
        _ x: Tensor, groups: Int, epsilon: Float = 1e-6, scale: Tensor, bias: Tensor
    ) -> Tensor {
        swish(groupNorm(x, groups: groups, epsilon: epsilon, scale: scale, bias: bias))
    }
}
