// ClassEdit: the official class-conditional editing recipe
// (`create_latent_mask_and_input_tokens_for_image_editing`, inference.py L137–164, and the demo):
// the region's box dilated by one token, the *target* class token, start_iter 2 of num_iter 12,
// Gaussian pixel composite with radius S/16 − 1. The edit is a RegionEdit (see there for the
// pipeline and the fields) with these defaults.

import ImageCodecs

/// Regenerates a region of an image as a target class.
public struct ClassEdit: ImageEdit {
    /// The edit's parameters; its condition is the target class.
    public var region: RegionEdit

    /// The target class label.
    public var targetClass: Int {
        if case .classLabel(let label) = region.condition { return label }
        return -1
    }

    /// `region` is a rectangle (`PixelMask(width:height:rectangles:)`) or any mask; the defaults
    /// are the official ones: start 2 of 12 (`.officialEditing`), the box dilated by one token
    /// (`.officialBoundingBox`) and the composite over the regenerated token region (`.tokens`).
    public init(image: RGBImage, region: PixelMask, targetClass: Int, decoding: DecodingOptions = .officialEditing,
                policy: TokenMaskPolicy = .officialBoundingBox, featherRadius: Float? = nil, composite: CompositeRegion = .tokens,
                seed: UInt64? = nil, knownTokens: TokenGrid? = nil) {
        self.region = RegionEdit(image: image, mask: region, condition: .classLabel(targetClass), decoding: decoding,
                                 policy: policy, featherRadius: featherRadius, composite: composite, seed: seed,
                                 knownTokens: knownTokens)
    }

    /// The official call with a pixel box (top-left x, y; width, height).
    public init(image: RGBImage, box: PixelRect, targetClass: Int, seed: UInt64? = nil, knownTokens: TokenGrid? = nil) {
        self.init(image: image, region: PixelMask(width: image.width, height: image.height, rectangles: [box]),
                  targetClass: targetClass, seed: seed, knownTokens: knownTokens)
    }

    public func run(on editor: ImageEditor, progress: (EditProgress) -> Bool) throws -> EditResult {
        try region.run(on: editor, progress: progress)
    }
}
