// Channel conversions the editing code needs at the codec edge: RGB <-> RGBA and the alpha plane.

extension RGBImage {
    /// This image in `layout`: dropping alpha keeps RGB as is (straight alpha, no
    /// compositing); adding alpha fills it with `alpha`. Returns `self` when already in `layout`.
    public func converted(to layout: Layout, alpha: UInt8 = 255) -> RGBImage {
        guard layout != self.layout else { return self }
        let count = width * height
        var output = RGBImage(width: width, height: height, layout: layout, filledWith: alpha)
        pixels.withUnsafeBufferPointer { source in
            output.pixels.withUnsafeMutableBufferPointer { destination in
                let from = self.layout.rawValue
                let to = layout.rawValue
                for pixel in 0..<count {
                    destination[pixel * to] = source[pixel * from]
                    destination[pixel * to + 1] = source[pixel * from + 1]
                    destination[pixel * to + 2] = source[pixel * from + 2]
                }
            }
        }
        return output
    }

    /// The alpha plane, `width * height` bytes row-major; all 255 for an RGB image.
    public func alphaChannel() -> [UInt8] {
        guard layout == .rgba else { return [UInt8](repeating: 255, count: width * height) }
        return (0..<(width * height)).map { pixels[$0 * 4 + 3] }
    }

    /// An RGBA image from this image's RGB and `alpha` (`width * height` bytes), or nil when
    /// `alpha` has the wrong length. An existing alpha channel is replaced.
    public func replacingAlpha(with alpha: [UInt8]) -> RGBImage? {
        guard alpha.count == width * height else { return nil }
        var output = converted(to: .rgba)
        for pixel in 0..<alpha.count { output.pixels[pixel * 4 + 3] = alpha[pixel] }
        return output
    }
}

extension RGBImage {
    /// Whether `other` has the same size and the same red, green and blue samples (alpha and
    /// layout are ignored: an RGB image and its RGBA copy with any alpha compare equal).
    public func sameRGB(as other: RGBImage) -> Bool {
        guard width == other.width, height == other.height else { return false }
        if layout == other.layout, layout == .rgb { return pixels == other.pixels }
        return pixels.withUnsafeBufferPointer { a in
            other.pixels.withUnsafeBufferPointer { b in
                let ca = channels, cb = other.channels
                for p in 0..<(width * height) {
                    let i = p * ca, j = p * cb
                    if a[i] != b[j] || a[i + 1] != b[j + 1] || a[i + 2] != b[j + 2] { return false }
                }
                return true
            }
        }
    }
}
