// PixelMask: which pixels of an image an edit regenerates.
//
// Layout: values[y * width + x], Float in [0, 1]. A pixel is masked (regenerated) when its
// value is ≥ 0.5: white / opaque = regenerate. Soft values only matter through that threshold.

import ImageCodecs

/// A pixel rectangle (x, y = top-left; width, height).
public struct PixelRect: Sendable, Hashable, Codable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// x + width, saturated at the Int range (rectangles come from clients: no overflow trap).
    public var maxX: Int { PixelRect.saturatingSum(x, width) }
    /// y + height, saturated at the Int range.
    public var maxY: Int { PixelRect.saturatingSum(y, height) }
    public var isEmpty: Bool { width <= 0 || height <= 0 }

    /// The part inside a `width` × `height` image as half-open bounds; nil when they do not overlap.
    public func clipped(width w: Int, height h: Int) -> (x0: Int, y0: Int, x1: Int, y1: Int)? {
        guard !isEmpty else { return nil }
        let x0 = max(0, x), y0 = max(0, y), x1 = min(w, maxX), y1 = min(h, maxY)
        guard x0 < x1, y0 < y1 else { return nil }
        return (x0, y0, x1, y1)
    }

    static func saturatingSum(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : sum
    }
}

/// A per-pixel edit mask (≥ 0.5 = regenerate).
public struct PixelMask: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Row-major values in [0, 1].
    public var values: [Float]

    /// Wraps Float values (clamped to [0, 1]); nil when the count does not match.
    public init?(width: Int, height: Int, values: [Float]) {
        guard width > 0, height > 0, values.count == width * height else { return nil }
        self.width = width
        self.height = height
        self.values = values.map { $0 == $0 ? min(1, max(0, $0)) : 0 }
    }

    /// Wraps 8-bit values (v / 255); nil when the count does not match.
    public init?(width: Int, height: Int, bytes: [UInt8]) {
        self.init(width: width, height: height, values: bytes.map { Float($0) / 255 })
    }

    /// An empty mask (nothing regenerated).
    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "PixelMask needs positive dimensions")
        self.width = width
        self.height = height
        values = [Float](repeating: 0, count: width * height)
    }

    /// The union of rectangles (clipped to the image), in O(rectangles + pixels) whatever their
    /// sizes: a summed-area count of the rectangles' corners, so many large rectangles cost no
    /// more than one.
    public init(width: Int, height: Int, rectangles: [PixelRect]) {
        self.init(width: width, height: height)
        guard !rectangles.isEmpty else { return }
        let stride = width + 1
        var corners = [Int32](repeating: 0, count: stride * (height + 1))
        for r in rectangles {
            guard let c = r.clipped(width: width, height: height) else { continue }
            corners[c.y0 * stride + c.x0] &+= 1
            corners[c.y0 * stride + c.x1] &-= 1
            corners[c.y1 * stride + c.x0] &-= 1
            corners[c.y1 * stride + c.x1] &+= 1
        }
        // Prefix sums along rows, then down columns: corners[y][x] becomes the number of
        // rectangles covering (x, y). Wrapping arithmetic: counts never exceed the rect count.
        for y in 0..<height {
            var run: Int32 = 0
            for x in 0..<width {
                run &+= corners[y * stride + x]
                corners[y * stride + x] = run
            }
        }
        for y in 0..<height {
            for x in 0..<width {
                if y > 0 { corners[y * stride + x] &+= corners[(y - 1) * stride + x] }
                if corners[y * stride + x] > 0 { values[y * width + x] = 1 }
            }
        }
    }

    /// From an image's luminance (Rec. 601: 0.299 R + 0.587 G + 0.114 B, / 255): white = regenerate.
    public init(luminanceOf image: RGBImage) {
        let ch = image.channels
        var v = [Float](repeating: 0, count: image.width * image.height)
        for p in v.indices {
            let r = Float(image.pixels[p * ch]), g = Float(image.pixels[p * ch + 1]), b = Float(image.pixels[p * ch + 2])
            v[p] = (0.299 * r + 0.587 * g + 0.114 * b) / 255
        }
        width = image.width
        height = image.height
        values = v
    }

    /// From an RGBA image's alpha (/ 255): opaque = regenerate. Nil for an RGB image.
    public init?(alphaOf image: RGBImage) {
        guard image.layout == .rgba else { return nil }
        width = image.width
        height = image.height
        values = (0..<(image.width * image.height)).map { Float(image.pixels[$0 * 4 + 3]) / 255 }
    }

    /// Whether pixel (x, y) is regenerated (value ≥ 0.5).
    @inlinable
    public func isMasked(x: Int, y: Int) -> Bool { values[y * width + x] >= 0.5 }

    /// Number of regenerated pixels.
    public var maskedCount: Int { values.reduce(0) { $0 + ($1 >= 0.5 ? 1 : 0) } }

    /// The smallest rectangle holding every regenerated pixel; nil when none is.
    public var boundingBox: PixelRect? {
        var minX = width, minY = height, maxX = -1, maxY = -1
        for y in 0..<height {
            for x in 0..<width where values[y * width + x] >= 0.5 {
                minX = min(minX, x); maxX = max(maxX, x)
                minY = min(minY, y); maxY = max(maxY, y)
            }
        }
        guard maxX >= 0 else { return nil }
        return PixelRect(x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1)
    }

    /// The crop at (x, y) of the given size; pixels outside the mask are 0 (not regenerated).
    public func crop(x: Int, y: Int, width w: Int, height h: Int) -> PixelMask {
        var out = PixelMask(width: w, height: h)
        for r in 0..<h where y + r >= 0 && y + r < height {
            for c in 0..<w where x + c >= 0 && x + c < width {
                out.values[r * w + c] = values[(y + r) * width + x + c]
            }
        }
        return out
    }

    /// Resized so that an output pixel is regenerated (1) when any source pixel it covers is
    /// (the conservative rule for downscaled context windows), else 0.
    public func resizedConservatively(width w: Int, height h: Int) -> PixelMask {
        var out = PixelMask(width: w, height: h)
        for r in 0..<h {
            let y0 = r * height / h, y1 = max(y0 + 1, ((r + 1) * height + h - 1) / h)
            for c in 0..<w {
                let x0 = c * width / w, x1 = max(x0 + 1, ((c + 1) * width + w - 1) / w)
                search: for y in y0..<min(height, y1) {
                    for x in x0..<min(width, x1) where values[y * width + x] >= 0.5 {
                        out.values[r * w + c] = 1
                        break search
                    }
                }
            }
        }
        return out
    }
}
