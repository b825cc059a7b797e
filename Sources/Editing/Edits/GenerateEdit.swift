// GenerateEdit: class-conditional (or null-class) generation of a native-size image from a
// fully masked grid (the official `generate_samples`).

import ImageCodecs

/// Generates one image at the native window size.
public struct GenerateEdit: ImageEdit {
    public var condition: Conditioning
    public var decoding: DecodingOptions
    /// nil draws a seed (reported in the result).
    public var seed: UInt64?

    public init(condition: Conditioning, decoding: DecodingOptions = .official, seed: UInt64? = nil) {
        self.condition = condition
        self.decoding = decoding
        self.seed = seed
    }

    public func run(on editor: ImageEditor, progress: (EditProgress) -> Bool) throws -> EditResult {
        let seed = seed ?? RandomSource.drawSeed()
        let shape = editor.predictor.gridShape
        var session = try DecodingSession(predictor: editor.predictor, grid: TokenGrid(width: shape.width, height: shape.height),
                                          condition: condition, options: decoding, seed: seed)
        let grid = try editor.runDecode(&session, window: 0, windowCount: 1, progress: progress)
        let image = try editor.decodeGrid(grid).rgbImage()
        let window = EditWindow(x: 0, y: 0, width: editor.windowWidth, height: editor.windowHeight, scale: 1,
                                gridShape: shape, tokenMask: [Bool](repeating: true, count: shape.count))
        return EditResult(image: image, tokens: grid, seed: seed, windows: [window], featherRadius: 0)
    }
}
