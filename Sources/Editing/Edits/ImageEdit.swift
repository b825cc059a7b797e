// ImageEdit: one edit request; one conformer per file (GenerateEdit, InpaintEdit, OutpaintEdit,
// ClassEdit). ImageEditor holds the two models and the shared plumbing.

import ImageCodecs

/// An edit that can be run with a pair of models.
public protocol ImageEdit: Sendable {
    /// Runs the edit; `progress` is called after every decoder step and returning false cancels
    /// (`EditingError.cancelled`).
    func run(on editor: ImageEditor, progress: (EditProgress) -> Bool) throws -> EditResult
}

/// A tokenizer and predictor pair, plus the plumbing the edits share.
public struct ImageEditor: Sendable {
    public let tokenizer: any ImageTokenizer
    public let predictor: any TokenPredictor

    /// Pairs the models; throws when stride × grid does not match the tokenizer's native size
    /// (checked when the grid is square).
    public init(tokenizer: any ImageTokenizer, predictor: any TokenPredictor) throws {
        let g = predictor.gridShape
        guard tokenizer.tokenStride > 0, g.width > 0, g.height > 0 else {
            throw EditingError.incompatibleModels("stride \(tokenizer.tokenStride), grid \(g)")
        }
        if g.width == g.height, g.width * tokenizer.tokenStride != tokenizer.nativeSize {
            throw EditingError.incompatibleModels(
                "grid \(g) × stride \(tokenizer.tokenStride) != native size \(tokenizer.nativeSize)")
        }
        self.tokenizer = tokenizer
        self.predictor = predictor
    }

    /// Runs `edit` (see `ImageEdit.run`).
    public func apply(_ edit: some ImageEdit, progress: (EditProgress) -> Bool = { _ in true }) throws -> EditResult {
        try edit.run(on: self, progress: progress)
    }

    /// S, pixels per token side.
    public var stride: Int { tokenizer.tokenStride }
    /// The window the transformer sees, in pixels: grid × S.
    public var windowWidth: Int { predictor.gridShape.width * stride }
    public var windowHeight: Int { predictor.gridShape.height * stride }

    /// The official default feather radius, S_native/16 − 1 in native pixels (15 at 256, 31 at
    /// 512, 3 at 64), at least 0.
    public var officialFeatherRadius: Float { max(0, Float(max(windowWidth, windowHeight)) / 16 - 1) }

    /// The token-grid shape of an image of the given pixel size: ⌈h/S⌉ × ⌈w/S⌉.
    public func tokenShape(width: Int, height: Int) -> GridShape {
        GridShape(height: (height + stride - 1) / stride, width: (width + stride - 1) / stride)
    }

    /// Encodes a window-sized buffer and checks the result.
    func encodeWindow(_ pixels: PixelBuffer) throws -> TokenGrid {
        let grid = try tokenizer.encode(pixels)
        let expected = GridShape(height: pixels.height / stride, width: pixels.width / stride)
        guard grid.shape == expected else {
            throw EditingError.tokenizerOutput("encode gave \(grid.shape), expected \(expected)")
        }
        if let bad = grid.tokens.first(where: { $0 < 0 || Int($0) >= predictor.codebookSize }) {
            throw EditingError.tokenizerOutput("token \(bad) outside the codebook")
        }
        return grid
    }

    /// Decodes a complete grid, clipped to [0, 1] (unless `clip` is false), checking the size.
    func decodeGrid(_ grid: TokenGrid, clip: Bool = true) throws -> PixelBuffer {
        let pixels = try tokenizer.decode(grid)
        guard pixels.width == grid.width * stride, pixels.height == grid.height * stride else {
            throw EditingError.tokenizerOutput(
                "decode gave \(pixels.width)x\(pixels.height) for grid \(grid.shape) at stride \(stride)")
        }
        return clip ? pixels.clipped() : pixels
    }

    /// Runs a decode to the end, forwarding progress; maps cancellation to EditingError.
    func runDecode(_ session: inout DecodingSession, window: Int, windowCount: Int,
                   progress: (EditProgress) -> Bool) throws -> TokenGrid {
        // The session skips its stop check after its last step (its result is complete then),
        // but an edit with more windows to go must stop there too: a cancel is honoured within
        // one decoding step, even with "steps": 1.
        var stopped = false
        do {
            _ = try session.run { p in
                let go = progress(EditProgress(window: window, windowCount: windowCount, decoding: p))
                if !go { stopped = true }
                return go
            }
        } catch DecodingError.cancelled {
            throw EditingError.cancelled
        }
        if stopped { throw EditingError.cancelled }
        guard let grid = session.resultGrid else { throw EditingError.cancelled }
        return grid
    }
}
