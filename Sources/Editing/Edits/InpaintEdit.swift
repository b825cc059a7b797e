// InpaintEdit: regenerate the pixels under a mask, conditioned on the rest of the image
// (paper §4.3; not in the released code). The edit is a RegionEdit (see there for the pipeline
// and the fields) with the inpaint defaults.

import ImageCodecs

/// Regenerates the masked pixels of an image of any size.
public struct InpaintEdit: ImageEdit {
    /// The edit's parameters (image, mask, condition, decoding, policy, feather, composite, seed,
    /// known tokens).
    public var region: RegionEdit

    /// `mask` is the image's size, ≥ 0.5 = regenerate; `condition` is the class token (official
    /// checkpoints need one; `.unconditional` needs a null class); `featherRadius` nil = S/16 − 1;
    /// `composite` `.mask` (the default) keeps every pixel farther than the band from the mask
    /// byte-identical.
    public init(image: RGBImage, mask: PixelMask, condition: Conditioning, decoding: DecodingOptions = .official,
                policy: TokenMaskPolicy = .anyOverlap, featherRadius: Float? = nil, composite: CompositeRegion = .mask,
                seed: UInt64? = nil, knownTokens: TokenGrid? = nil) {
        region = RegionEdit(image: image, mask: mask, condition: condition, decoding: decoding, policy: policy,
                            featherRadius: featherRadius, composite: composite, seed: seed, knownTokens: knownTokens)
    }

    public func run(on editor: ImageEditor, progress: (EditProgress) -> Bool) throws -> EditResult {
        try region.run(on: editor, progress: progress)
    }
}
