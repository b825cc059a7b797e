// InpaintEdit: regenerate the pixels under a mask, conditioned on the rest of the image
// (paper §4.3; not in the released code). See RegionEdit for the pipeline.

import ImageCodecs

/// Regenerates the masked pixels of an image of any size.
public struct InpaintEdit: ImageEdit {
    public var image: RGBImage
    /// Same size as `image`; ≥ 0.5 = regenerate.
    public var mask: PixelMask
    /// The class token (official checkpoints need one; `.unconditional` needs a null class).
    public var condition: Conditioning
    public var decoding: DecodingOptions
    public var policy: TokenMaskPolicy
    /// Gaussian σ in native pixels (scaled by 1/scale in downscaled windows); nil = S/16 − 1.
    public var featherRadius: Float?
    /// Where the feathered composite grows from; `.mask` (the default) keeps every pixel farther
    /// than the band from the mask byte-identical.
    public var composite: CompositeRegion
    /// nil draws a seed (reported in the result).
    public var seed: UInt64?
    /// The image's token grid from an earlier call (⌈h/S⌉ × ⌈w/S⌉, `missing` where unknown);
    /// positions it holds are not re-encoded.
    public var knownTokens: TokenGrid?

    public init(image: RGBImage, mask: PixelMask, condition: Conditioning, decoding: DecodingOptions = .official,
                policy: TokenMaskPolicy = .anyOverlap, featherRadius: Float? = nil, composite: CompositeRegion = .mask,
                seed: UInt64? = nil, knownTokens: TokenGrid? = nil) {
        self.composite = composite
        self.image = image
        self.mask = mask
        self.condition = condition
        self.decoding = decoding
        self.policy = policy
        self.featherRadius = featherRadius
        self.seed = seed
        self.knownTokens = knownTokens
    }

    public func run(on editor: ImageEditor, progress: (EditProgress) -> Bool) throws -> EditResult {
        try RegionEdit(image: image, mask: mask, condition: condition, decoding: decoding, policy: policy,
                       featherRadius: featherRadius, composite: composite, seed: seed, knownTokens: knownTokens)
            .run(on: editor, progress: progress)
    }
}
