// OfficialComposite: the pixel composite of the official class-editing recipe
// (`composite_outputs`, inference.py L166–172), reproduced step by step (`composite: "official"`):
//
//   m8  = uint8(latent_mask · 255)                        the regenerated tokens, G × G
//   m8  = PIL resize to S × S                             BICUBIC (Pillow's default for mode "L")
//   m8  = PIL GaussianBlur(radius = S // 16 − 1)          Pillow's 3-pass extended box blur
//   m   = float32(m8) / 255
//   out = outputs · m + (1 − m) · input                   outputs: the decoder's unclipped float output
//   byte = round(clip(out, 0, 1) · 255)                   (the official code clips for display)
//
// Pillow's algorithms, as this file computes them (8-bit, integer arithmetic, same results):
// * Resize, per axis (horizontal first, each pass rounded and clamped to a byte): scale =
//   in/out; the output sample x is centred at (x + 0.5)·scale; taps j in [⌊c − 2 + 0.5⌋,
//   ⌊c + 2 + 0.5⌋) ∩ [0, in) with weight bicubic((j − c + 0.5)) (a = −0.5), normalised to sum 1,
//   then fixed point with 22 fractional bits (each weight rounded half away from zero), the
//   sum started at 2^21 and shifted right by 22.
// * GaussianBlur(r): box radius b = l + a for σ² = r²/3 with L = √(12σ² + 1), l = ⌊(L − 1)/2⌋,
//   a = (2l + 1)(l(l + 1) − 3σ²) / (6(σ² − (l + 1)²)) (Gwosdek et al. 2011); three passes along
//   x, then three along y, each pass out[x] = (ww·Σ_{|k|≤⌊b⌋} in[x+k] + fw·(in[x−⌊b⌋−1] +
//   in[x+⌊b⌋+1]) + 2^23) >> 24 with ww = ⌊2^24 / (2b + 1)⌋, fw = (2^24 − (2⌊b⌋ + 1)·ww) / 2,
//   indices clamped to the line (edge pixels extended).

import ImageCodecs

enum OfficialComposite {
    /// Pillow's bicubic kernel (a = −0.5).
    static func bicubic(_ t: Double) -> Double {
        let a = -0.5
        let x = abs(t)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    /// Fixed-point taps of a 1-D bicubic resize from n to m samples: (first source index, weights).
    static func resizeTaps(from n: Int, to m: Int) -> [(Int, [Int32])] {
        let scale = Double(n) / Double(m)
        let filterScale = max(1, scale)
        let support = 2 * filterScale
        let ss = 1 / filterScale
        return (0..<m).map { x in
            let centre = (Double(x) + 0.5) * scale
            let lo = max(0, Int(centre - support + 0.5))
            let hi = min(n, Int(centre + support + 0.5))
            var weights = (lo..<max(lo, hi)).map { bicubic((Double($0) - centre + 0.5) * ss) }
            let total = weights.reduce(0, +)
            if total != 0 { weights = weights.map { $0 / total } }
            let fixed = weights.map { w -> Int32 in
                let scaled = w * Double(1 << 22)
                return Int32(w < 0 ? (scaled - 0.5).rounded(.towardZero) : (scaled + 0.5).rounded(.towardZero))
            }
            return (lo, fixed)
        }
    }

    @inline(__always)
    static func clip8(_ v: Int32) -> UInt8 {
        let shifted = v >> 22
        return UInt8(clamping: max(0, min(255, shifted)))
    }

    /// Pillow's `Image.resize((w, h), BICUBIC)` of an 8-bit single-channel image.
    static func resizeBicubic(_ pixels: [UInt8], width w: Int, height h: Int, toWidth ow: Int, toHeight oh: Int) -> [UInt8] {
        var current = pixels
        var cw = w
        if ow != w {
            let taps = resizeTaps(from: w, to: ow)
            var out = [UInt8](repeating: 0, count: ow * h)
            for y in 0..<h {
                for (x, (lo, k)) in taps.enumerated() {
                    var acc: Int32 = 1 << 21
                    for (j, weight) in k.enumerated() { acc &+= Int32(current[y * cw + lo + j]) &* weight }
                    out[y * ow + x] = clip8(acc)
                }
            }
            current = out
            cw = ow
        }
        if oh != h {
            let taps = resizeTaps(from: h, to: oh)
            var out = [UInt8](repeating: 0, count: cw * oh)
            for (y, (lo, k)) in taps.enumerated() {
                for x in 0..<cw {
                    var acc: Int32 = 1 << 21
                    for (j, weight) in k.enumerated() { acc &+= Int32(current[(lo + j) * cw + x]) &* weight }
                    out[y * cw + x] = clip8(acc)
                }
            }
            current = out
        }
        return current
    }

    /// Pillow's box radius for a Gaussian of radius (σ) r approximated by `passes` box blurs.
    static func boxRadius(gaussian r: Float, passes: Int = 3) -> Float {
        let sigma2: Float = r * r / Float(passes)
        let bigL = Float((12.0 * Double(sigma2) + 1.0).squareRoot())
        let l = Float(((Double(bigL) - 1.0) / 2.0).rounded(.down))
        var a: Float = (2 * l + 1) * (l * (l + 1) - 3 * sigma2)
        a /= 6 * (sigma2 - (l + 1) * (l + 1))
        return l + a
    }

    /// One extended box-blur pass over `count` samples at `stride` starting at `start`.
    static func boxPass(_ data: inout [UInt8], start: Int, count n: Int, stride: Int, radius b: Float, scratch: inout [UInt32]) {
        let r = Int(b)
        let ww = UInt32(Float(1 << 24) / (b * 2 + 1))
        let fw = (UInt32(1 << 24) &- UInt32(2 * r + 1) &* ww) / 2
        for i in 0..<n { scratch[i] = UInt32(data[start + i * stride]) }
        @inline(__always) func at(_ i: Int) -> UInt32 { scratch[min(n - 1, max(0, i))] }
        var acc: UInt32 = 0
        for k in -r...r { acc &+= at(k - 1) }   // the window of x = −1
        for x in 0..<n {
            acc = acc &- at(x - r - 1) &+ at(x + r)
            let bulk = acc &* ww &+ (at(x - r - 1) &+ at(x + r + 1)) &* fw
            data[start + x * stride] = UInt8(truncatingIfNeeded: (bulk &+ (1 << 23)) >> 24)
        }
    }

    /// Pillow's `GaussianBlur(radius)` of an 8-bit single-channel image (edges extended).
    static func gaussianBlur(_ pixels: [UInt8], width w: Int, height h: Int, radius: Float) -> [UInt8] {
        guard radius > 0 else { return pixels }
        let b = boxRadius(gaussian: radius)
        guard b > 0 else { return pixels }
        var data = pixels
        var scratch = [UInt32](repeating: 0, count: max(w, h))
        for _ in 0..<3 { for y in 0..<h { boxPass(&data, start: y * w, count: w, stride: 1, radius: b, scratch: &scratch) } }
        for _ in 0..<3 { for x in 0..<w { boxPass(&data, start: x, count: h, stride: w, radius: b, scratch: &scratch) } }
        return data
    }

    /// How far (Chebyshev, pixels) outside the regenerated token cells the official weight can be
    /// above 0: the bicubic resize reaches 2 input samples from a cell centre (1.5 cells from its
    /// edge), each of the 3 box passes along an axis ⌊b⌋ + 1 pixels. A bound, not the exact reach.
    static func reach(cell: Double, radius: Float) -> Int {
        let resize = Int((1.5 * cell).rounded(.up))
        guard radius > 0 else { return resize }
        let b = boxRadius(gaussian: radius)
        return resize + (b > 0 ? 3 * (Int(b) + 1) : 0)
    }

    /// The official radius: S // 16 − 1 (at least 0) for an S-pixel (larger side) window.
    static func radius(windowSize s: Int) -> Float { Float(max(0, s / 16 - 1)) }

    /// The composite weight (float32(m8) / 255) over a width × height field from a grid token mask.
    static func weight(tokenMask: [Bool], grid: GridShape, width: Int, height: Int, radius: Float) -> [Float] {
        let cells = tokenMask.map { $0 ? UInt8(255) : 0 }
        let resized = resizeBicubic(cells, width: grid.width, height: grid.height, toWidth: width, toHeight: height)
        return gaussianBlur(resized, width: width, height: height, radius: radius).map { Float($0) / 255 }
    }

    /// out = generated · m + (1 − m) · input in Float32, clipped to [0, 1] and rounded to bytes;
    /// `generated` is the decoder's unclipped output for the window at (x, y). Pixels with m = 0
    /// keep the input bytes. Alpha is kept.
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
                    let original = Float(input.pixels[p + k]) / 255
                    let v = generated.samples[g + k] * m + (1 - m) * original
                    out.pixels[p + k] = PixelBuffer.byte(v)
                }
            }
        }
        return out
    }
}
