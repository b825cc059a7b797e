// RequestBounds: the one set of bounds a request's values are checked against (by
// EditService, once). `initialize` reports the ones a client needs (maxSteps); the editing
// library's own checks use the same ranges (`RegionEdit.featherBounds`,
// `TokenMaskPolicy.coverageBounds`).

import Editing

public enum RequestBounds {
    /// Seeds survive JSON numbers in every client: 0 ... 2^53.
    public static let seed = 0...9_007_199_254_740_991
    public static let steps = 1...64
    public static let startStep = 0...63
    public static let choiceTemperature = 0.0...100
    public static let temperature = 0.01...10
    public static let topK = 1...1_000_000
    public static let guidance = 0.0...50
    public static let coverage = TokenMaskPolicy.coverageBounds
    public static let feather = RegionEdit.featherBounds
    /// Outpaint margins, each side.
    public static let margin = 0...(1 << 16)
    public static let windowStride = 1...4096
    public static let tokenizerContext = 0...4096
    /// Mask image threshold (0...255; 0 selects every non-zero pixel).
    public static let threshold = 0...255
    /// Rectangle width and height (x and y may be any integers; the arithmetic saturates).
    public static let rectSide = 1...Int(Int32.max)
    /// Output quality (WebP lossy, JPEG 1...100).
    public static let quality = 0.0...100
}

/// The cost limits of one service (advertised by `initialize`).
public struct EditLimits: Sendable {
    /// Most rectangles in one mask.
    public var maxMaskRects = 4096
    /// Most context windows one outpaint may plan (its decode costs windows × steps passes).
    public var maxOutpaintWindows = 1024
    /// Most pixels of an image the service makes (an outpaint's result).
    public var maxPixels = 16 << 20
    public init() {}
}
