// Compositing: the official pixel-space blend (`composite_outputs`, inference.py L166–172)
//   out = generated · m + input · (1 − m)
// with m the regenerated-token mask at image resolution feathered by a Gaussian blur, and two
// guarantees the official code lacks:
//   * m = 1 on every masked pixel (the pixel mask is always fully regenerated);
//   * m = 0 exactly outside the feathered band (the blur kernel is truncated), and there the
//     input bytes are copied, never round-tripped through Float: bit-exact.
// Radius → sigma: as PIL's GaussianBlur, the radius *is* the standard deviation σ; our kernel is
// a true Gaussian truncated at ⌈3σ⌉ pixels, so the band reaches ⌈3σ⌉ pixels either side of
// the token-mask edge. Radius 0 gives a hard token-mask edge.
// Alpha is never composited: the output keeps the input's alpha everywhere (inside the mask
// too); an edit changes colour only.

import ImageCodecs

enum Compositing {
    /// ⌈3σ⌉, the reach of the truncated kernel (0 for σ ≤ 0).
    static func support(radius: Float) -> Int {
        radius > 0 ? Int((3 * radius).rounded(.up)) : 0
    }

    /// Separable Gaussian blur (σ = radius, truncated at ⌈3σ⌉, zero outside) of a w×h field.
    static func blur(_ field: [Float], width w: Int, height h: Int, radius: Float) -> [Float] {
        let reach = support(radius: radius)
        guard reach > 0 else { return field }
        var kernel = (-reach...reach).map { d -> Float in
            let x = Float(d) / radius
            return Float(DeterministicMath.exp(Double(-0.5 * x * x)))
        }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        var rows = [Float](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                var acc: Float = 0
                for k in max(-reach, -x)...min(reach, w - 1 - x) { acc += field[y * w + x + k] * kernel[k + reach] }
                rows[y * w + x] = acc
            }
        }
        var out = [Float](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                var acc: Float = 0
                for k in max(-reach, -y)...min(reach, h - 1 - y) { acc += rows[(y + k) * w + x] * kernel[k + reach] }
                out[y * w + x] = min(1, acc)
            }
        }
        return out
    }

    /// Blends `generated` (the window's pixels at image resolution, its top-left at (x, y) in
    /// image coordinates, possibly reaching outside the image) into `input` with weight `weight`
    /// (window-sized, in [0, 1]); pixels where the weight is 0 keep the input bytes.
    static func blend(input: RGBImage, generated: PixelBuffer, x: Int, y: Int, weight: [Float]) -> RGBImage {
        var out = input
        let ch = input.channels
        for r in 0..<generated.height {
            let iy = y + r
            guard iy >= 0, iy < input.height else { continue }
            for c in 0..<generated.width {
                let ix = x + c
                guard ix >= 0, ix < input.width else { continue }
                let m = weight[r * generated.width + c]
                guard m > 0 else { continue }
                let g = (r * generated.width + c) * 3, p = (iy * input.width + ix) * ch
                for k in 0..<3 {
                    let v = generated.samples[g + k] * m + Float(input.pixels[p + k]) / 255 * (1 - m)
                    out.pixels[p + k] = PixelBuffer.byte(v)
                }
            }
        }
        return out
    }
}
