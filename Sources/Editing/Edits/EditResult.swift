// The values every edit reports: the result, the windows it worked in, progress, errors.

import ImageCodecs

/// One context window an edit decoded, in output-image pixel coordinates.
public struct EditWindow: Sendable, Hashable {
    /// Top-left corner; may be negative or reach past the image (edge-replicated padding).
    public var x: Int
    public var y: Int
    /// Size in image pixels (grid × stride / scale).
    public var width: Int
    public var height: Int
    /// Native pixels per image pixel: 1 for a crop, < 1 when the region was downscaled to fit.
    public var scale: Double
    /// The transformer grid decoded in this window.
    public var gridShape: GridShape
    /// Per grid position (row-major), true where the token was regenerated.
    public var tokenMask: [Bool]
    /// Decoding steps this window ran (`DecodingOptions.steps`, or fewer with adaptiveSteps);
    /// nil where not recorded.
    public var steps: Int? = nil

    /// Number of regenerated tokens.
    public var regeneratedCount: Int { tokenMask.reduce(0) { $0 + ($1 ? 1 : 0) } }
}

/// What an edit returns.
public struct EditResult: Sendable {
    /// The edited image: same layout as the input (RGB or RGBA); generate returns RGB.
    public var image: RGBImage
    /// The token grid of `image` at scale 1: ⌈height/S⌉ × ⌈width/S⌉, row-major. Inside scale-1
    /// windows it holds the decoded tokens (known ones as encoded or passed in, regenerated ones
    /// as sampled); elsewhere the caller's `knownTokens` (shifted for outpaint); `TokenGrid.missing`
    /// where unknown or where a downscaled window changed pixels. Pixels in the feathered band are
    /// blends, so a fresh encode may differ there.
    public var tokens: TokenGrid
    /// The seed used (the caller's, or a drawn one).
    public var seed: UInt64
    /// The windows decoded, in order.
    public var windows: [EditWindow]
    /// The feather radius used, in image pixels (σ of the Gaussian; 0 = hard edge).
    public var featherRadius: Float

    /// The reach of the composite, ⌈3 · featherRadius⌉ image pixels (0 for a hard edge): the
    /// truncated Gaussian's support. Every pixel whose Chebyshev distance (max(|dx|, |dy|)) to
    /// the composite region is greater keeps its input bytes exactly; the region is the pixel
    /// mask (composite "mask", intersected with the regenerated token cells) or the image pixels
    /// of the regenerated token cells (composite "tokens"). Alpha never changes. Outpaint keeps
    /// every original pixel (its band is 0 and its region is the new area only). With composite
    /// "official" the region is the regenerated token cells and the band the official weight's
    /// reach (OfficialComposite.reach).
    public var band: Int { bandOverride ?? Compositing.support(radius: featherRadius) }
    /// The band when it is not the Gaussian's support (composite "official").
    var bandOverride: Int? = nil
}

/// Progress of an edit: which window, and the decoder's progress inside it.
public struct EditProgress: Sendable, Hashable {
    /// 0-based index of the window being decoded.
    public var window: Int
    public var windowCount: Int
    public var decoding: DecodingProgress
}

/// Errors of the edits.
public enum EditingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The mask's size differs from the image's.
    case maskSize(maskWidth: Int, maskHeight: Int, imageWidth: Int, imageHeight: Int)
    /// The mask selects no pixel.
    case emptyMask
    /// The cached token grid does not match the image's token geometry.
    case knownTokensShape(expected: GridShape, got: GridShape)
    /// The tokenizer returned a grid of the wrong shape, or a token outside the codebook.
    case tokenizerOutput(String)
    /// The tokenizer and predictor disagree (stride × grid vs native size).
    case incompatibleModels(String)
    /// An edit parameter is out of range.
    case invalidParameter(name: String, value: String)
    /// The caller stopped the edit between steps.
    case cancelled

    public var description: String {
        switch self {
        case .maskSize(let mw, let mh, let iw, let ih): return "mask is \(mw)x\(mh), image is \(iw)x\(ih)"
        case .emptyMask: return "the mask selects no pixel"
        case .knownTokensShape(let e, let g): return "known tokens are \(g), the image needs \(e)"
        case .tokenizerOutput(let s): return "tokenizer output: \(s)"
        case .incompatibleModels(let s): return "incompatible models: \(s)"
        case .invalidParameter(let n, let v): return "invalid \(n) = \(v)"
        case .cancelled: return "edit cancelled"
        }
    }
}
