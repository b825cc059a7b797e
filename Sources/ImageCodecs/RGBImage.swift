// RGBImage: the one pixel type the codecs produce and consume.
//
// Layout: 8-bit samples, row-major, interleaved; `channels` is 3 (RGB) or 4 (RGBA, straight alpha).
// pixels.count == width * height * channels, always (the initialiser checks it).

/// An 8-bit RGB or RGBA image with explicit width, height and channel count.
public struct RGBImage: Sendable, Equatable {
    /// The channel layouts a decoded image can have.
    public enum Layout: Int, Sendable, Codable {
        case rgb = 3
        case rgba = 4
    }

    public let width: Int
    public let height: Int
    public let layout: Layout
    /// Interleaved samples, row-major, `width * height * channels` bytes.
    public var pixels: [UInt8]

    public var channels: Int { layout.rawValue }
    public var hasAlpha: Bool { layout == .rgba }

    /// Wraps `pixels`; returns nil when the byte count does not match the geometry.
    public init?(width: Int, height: Int, layout: Layout, pixels: [UInt8]) {
        guard width > 0, height > 0,
              width.multipliedReportingOverflow(by: height).overflow == false,
              pixels.count == width * height * layout.rawValue
        else { return nil }
        self.width = width
        self.height = height
        self.layout = layout
        self.pixels = pixels
    }

    /// A new image filled with one colour (`value` per sample).
    public init(width: Int, height: Int, layout: Layout, filledWith value: UInt8 = 0) {
        precondition(width > 0 && height > 0, "RGBImage needs positive dimensions")
        self.width = width
        self.height = height
        self.layout = layout
        self.pixels = [UInt8](repeating: value, count: width * height * layout.rawValue)
    }
}
