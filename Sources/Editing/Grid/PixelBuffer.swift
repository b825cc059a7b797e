// PixelBuffer: float RGB pixels in [0, 1], the tokenizer's input and output type.
//
// Layout: [H, W, 3] row-major, interleaved RGB, Float32. No alpha: alpha is handled by the
// edits (copied from the input), never seen by the networks.

import ImageCodecs

/// A float RGB image, values nominally in [0, 1], layout [H, W, 3] row-major.
public struct PixelBuffer: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Interleaved RGB samples, `width * height * 3` of them.
    public var samples: [Float]

    /// Wraps `samples`; nil when the count does not match the geometry.
    public init?(width: Int, height: Int, samples: [Float]) {
        guard width > 0, height > 0, samples.count == width * height * 3 else { return nil }
        self.width = width
        self.height = height
        self.samples = samples
    }

    /// A buffer filled with one value.
    public init(width: Int, height: Int, filledWith value: Float = 0) {
        precondition(width > 0 && height > 0, "PixelBuffer needs positive dimensions")
        self.width = width
        self.height = height
        self.samples = [Float](repeating: value, count: width * height * 3)
    }

    /// Converts 8-bit RGB(A) to [0, 1] floats (v / 255); alpha is dropped.
    public init(_ image: RGBImage) {
        let count = image.width * image.height
        let ch = image.channels
        var out = [Float](repeating: 0, count: count * 3)
        image.pixels.withUnsafeBufferPointer { src in
            for p in 0..<count {
                out[p * 3] = Float(src[p * ch]) / 255
                out[p * 3 + 1] = Float(src[p * ch + 1]) / 255
                out[p * 3 + 2] = Float(src[p * ch + 2]) / 255
            }
        }
        width = image.width
        height = image.height
        samples = out
    }

    /// The crop at (x, y) of size (width, height) of an 8-bit image, as [0, 1] floats, without
    /// converting the rest of the image; coordinates outside it replicate the nearest edge pixel.
    public init(_ image: RGBImage, cropX x: Int, y: Int, width w: Int, height h: Int) {
        precondition(w > 0 && h > 0, "PixelBuffer needs positive dimensions")
        let ch = image.channels
        var out = [Float](repeating: 0, count: w * h * 3)
        for r in 0..<h {
            let sy = min(image.height - 1, max(0, y + r))
            for c in 0..<w {
                let sx = min(image.width - 1, max(0, x + c))
                let s = (sy * image.width + sx) * ch, d = (r * w + c) * 3
                out[d] = Float(image.pixels[s]) / 255
                out[d + 1] = Float(image.pixels[s + 1]) / 255
                out[d + 2] = Float(image.pixels[s + 2]) / 255
            }
        }
        width = w
        height = h
        samples = out
    }

    /// Every sample clipped to [0, 1] (the official display clip).
    public func clipped() -> PixelBuffer {
        var out = self
        for i in out.samples.indices { out.samples[i] = min(1, max(0, out.samples[i])) }
        return out
    }

    /// Converts to 8-bit RGB: round(clip(v, 0, 1) * 255).
    public func rgbImage() -> RGBImage {
        var image = RGBImage(width: width, height: height, layout: .rgb)
        for i in samples.indices { image.pixels[i] = PixelBuffer.byte(samples[i]) }
        return image
    }

    /// round(clip(v, 0, 1) * 255) as a byte; NaN maps to 0.
    @inlinable
    public static func byte(_ v: Float) -> UInt8 {
        guard v == v else { return 0 }
        return UInt8((min(1, max(0, v)) * 255).rounded())
    }

    /// The crop at (x, y) of size (width, height); coordinates outside the buffer replicate the
    /// nearest edge pixel.
    public func crop(x: Int, y: Int, width w: Int, height h: Int) -> PixelBuffer {
        var out = PixelBuffer(width: w, height: h)
        for r in 0..<h {
            let sy = min(height - 1, max(0, y + r))
            for c in 0..<w {
                let sx = min(width - 1, max(0, x + c))
                let s = (sy * width + sx) * 3, d = (r * w + c) * 3
                out.samples[d] = samples[s]
                out.samples[d + 1] = samples[s + 1]
                out.samples[d + 2] = samples[s + 2]
            }
        }
        return out
    }
}
