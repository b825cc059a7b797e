// ImageTokenizer: what the edits need from the VQGAN (the Engine module adapts the VQGAN to it).

/// A convolutional VQ tokenizer: float RGB pixels <-> a grid of codebook ids.
public protocol ImageTokenizer: Sendable {
    /// Downsampling factor S: one token covers S×S pixels (16 official, 8 ours).
    var tokenStride: Int { get }
    /// The square side in pixels that the paired transformer works at (its grid × S: 256 or
    /// 512 official, 64 ours). Informational; the edits use the predictor's grid × S and check
    /// that it matches when the sides are equal.
    var nativeSize: Int { get }

    /// Encodes an image whose width and height are multiples of `tokenStride` (pixels in [0, 1]);
    /// the result is (height / S) × (width / S). Callers never pass other sizes.
    func encode(_ image: PixelBuffer) throws -> TokenGrid

    /// Decodes a complete grid (no `missing`, no mask ids) to (height·S) × (width·S) pixels.
    /// The output need not be clipped: the edits clip to [0, 1] before compositing.
    func decode(_ grid: TokenGrid) throws -> PixelBuffer
}
