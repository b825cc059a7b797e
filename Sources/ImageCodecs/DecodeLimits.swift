// DecodeLimits: the geometry a decoder accepts, checked against the file's header before any
// pixel memory is allocated, so a small file that claims a huge image cannot exhaust memory.

/// Upper bounds on the images a decoder will accept.
///
/// Checked against the header (PNG IHDR, WebP VP8/VP8L/VP8X) before the pixel buffer is
/// allocated. The defaults allow anything up to 64 Mi pixels (256 MiB as RGBA) and 65 536
/// pixels on a side.
public struct DecodeLimits: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// Largest accepted `width * height`.
    public var maxPixels: Int
    /// Largest accepted width in pixels.
    public var maxWidth: Int
    /// Largest accepted height in pixels.
    public var maxHeight: Int
    /// Largest allocation libpng may make for one ancillary chunk (iCCP, zTXt, ...), which
    /// bounds decompression of compressed metadata. Values below 1 are raised to 1, since 0
    /// would mean "no limit" to libpng.
    public var maxChunkBytes: Int

    /// 64 Mi pixels, 65 536 on a side, 8 MiB per PNG ancillary chunk.
    public static let `default` = DecodeLimits()

    /// Limits with the given bounds; every default is that of ``default``.
    public init(
        maxPixels: Int = 64 * 1024 * 1024,
        maxWidth: Int = 65_536,
        maxHeight: Int = 65_536,
        maxChunkBytes: Int = 8 * 1024 * 1024
    ) {
        self.maxPixels = maxPixels
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.maxChunkBytes = maxChunkBytes
    }

    /// Whether a `width` x `height` image is within these limits (no overflow for any Int).
    public func allows(width: Int, height: Int) -> Bool {
        guard width <= maxWidth, height <= maxHeight else { return false }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        return !overflow && pixels <= maxPixels
    }

    public var description: String {
        "at most \(maxPixels) pixels and \(maxWidth)x\(maxHeight)"
    }
}
