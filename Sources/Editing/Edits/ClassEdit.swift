// ClassEdit: the official class-conditional editing recipe
// (`create_latent_mask_and_input_tokens_for_image_editing`, inference.py L137–164, and the demo):
// the region's box dilated by one token, the *target* class token, start_iter 2 of num_iter 12,
// Gaussian pixel composite with radius S/16 − 1.

import ImageCodecs

/// Regenerates a region of an image as a target class.
public struct ClassEdit: ImageEdit {
    public var image: RGBImage
    /// The region (a rectangle: `PixelMask(width:height:rectangles:)`, or any mask).
    public var region: PixelMask
    public var targetClass: Int
    /// Default `.officialEditing` (start 2 of 12).
    public var decoding: DecodingOptions
    /// Default `.officialBoundingBox` (the box dilated by one token).
    public var policy: TokenMaskPolicy
    public var featherRadius: Float?
    /// Default `.tokens`: the official composite over the regenerated (dilated) token region.
    public var composite: CompositeRegion
    public var seed: UInt64?
    public var knownTokens: TokenGrid?

    public init(image: RGBImage, region: PixelMask, targetClass: Int, decoding: DecodingOptions = .officialEditing,
                policy: TokenMaskPolicy = .officialBoundingBox, featherRadius: Float? = nil, composite: CompositeRegion = .tokens,
                seed: UInt64? = nil, knownTokens: TokenGrid? = nil) {
        self.composite = composite
        self.image = image
        self.region = region
        self.targetClass = targetClass
        self.decoding = decoding
        self.policy = policy
        self.featherRadius = featherRadius
        self.seed = seed
        self.knownTokens = knownTokens
    }

    /// The official call with a pixel box (top-left x, y; width, height).
    public init(image: RGBImage, box: PixelRect, targetClass: Int, seed: UInt64? = nil, knownTokens: TokenGrid? = nil) {
        self.init(image: image, region: PixelMask(width: image.width, height: image.height, rectangles: [box]),
                  targetClass: targetClass, seed: seed, knownTokens: knownTokens)
    }

    public func run(on editor: ImageEditor, progress: (EditProgress) -> Bool) throws -> EditResult {
        try RegionEdit(image: image, mask: region, condition: .classLabel(targetClass), decoding: decoding,
                       policy: policy, featherRadius: featherRadius, composite: composite, seed: seed, knownTokens: knownTokens)
            .run(on: editor, progress: progress)
    }
}
