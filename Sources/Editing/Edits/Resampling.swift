// Resampling of float pixel buffers for downscaled context windows: area averaging when
// shrinking, bilinear (pixel centres aligned) when enlarging, chosen per axis.

extension PixelBuffer {
    /// This buffer resized to (width, height).
    public func resized(width w: Int, height h: Int) -> PixelBuffer {
        if w == width && h == height { return self }
        let horizontal = PixelBuffer.weights(from: width, to: w)
        let vertical = PixelBuffer.weights(from: height, to: h)
        // Rows first: [height, w, 3], then columns: [h, w, 3].
        var rows = [Float](repeating: 0, count: height * w * 3)
        for y in 0..<height {
            for (x, taps) in horizontal.enumerated() {
                var acc: (Float, Float, Float) = (0, 0, 0)
                for (sx, weight) in taps {
                    let s = (y * width + sx) * 3
                    acc.0 += samples[s] * weight; acc.1 += samples[s + 1] * weight; acc.2 += samples[s + 2] * weight
                }
                let d = (y * w + x) * 3
                rows[d] = acc.0; rows[d + 1] = acc.1; rows[d + 2] = acc.2
            }
        }
        var out = PixelBuffer(width: w, height: h)
        for (y, taps) in vertical.enumerated() {
            for x in 0..<w {
                var acc: (Float, Float, Float) = (0, 0, 0)
                for (sy, weight) in taps {
                    let s = (sy * w + x) * 3
                    acc.0 += rows[s] * weight; acc.1 += rows[s + 1] * weight; acc.2 += rows[s + 2] * weight
                }
                let d = (y * w + x) * 3
                out.samples[d] = acc.0; out.samples[d + 1] = acc.1; out.samples[d + 2] = acc.2
            }
        }
        return out
    }

    /// Per output index, the (source index, weight) taps of a 1-D resize from n to m samples.
    static func weights(from n: Int, to m: Int) -> [[(Int, Float)]] {
        let scale = Double(n) / Double(m)
        if m <= n {
            // Area: output i covers source [i·scale, (i+1)·scale).
            return (0..<m).map { i in
                let a = Double(i) * scale, b = Double(i + 1) * scale
                var taps: [(Int, Float)] = []
                var s = Int(a)
                while Double(s) < b, s < n {
                    let overlap = min(b, Double(s + 1)) - max(a, Double(s))
                    if overlap > 0 { taps.append((s, Float(overlap / scale))) }
                    s += 1
                }
                return taps
            }
        }
        // Bilinear with aligned pixel centres, edges clamped.
        return (0..<m).map { i in
            let centre = (Double(i) + 0.5) * scale - 0.5
            let s0 = Int(centre.rounded(.down))
            let f = Float(centre - Double(s0))
            let a = min(n - 1, max(0, s0)), b = min(n - 1, max(0, s0 + 1))
            return a == b ? [(a, Float(1))] : [(a, 1 - f), (b, f)]
        }
    }
}
