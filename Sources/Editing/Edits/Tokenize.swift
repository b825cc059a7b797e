// Tokenizing a whole image for a session cache: native-size, token-aligned tiles, each encoded
// once (edge pixels replicated past the image border), so later edits find every token known.

import ImageCodecs

extension ImageEditor {
    /// The image's token grid, ⌈h/S⌉ × ⌈w/S⌉, encoded tile by tile at the native window size.
    /// `progress` is called after each tile with (tiles done, tiles total); returning false stops
    /// with `EditingError.cancelled`.
    public func tokenize(_ image: RGBImage, progress: (Int, Int) -> Bool = { _, _ in true }) throws -> TokenGrid {
        let s = stride
        let shape = tokenShape(width: image.width, height: image.height)
        var grid = TokenGrid(width: shape.width, height: shape.height)
        let tileRows = predictor.gridShape.height, tileColumns = predictor.gridShape.width
        let rows = Array(Swift.stride(from: 0, to: shape.height, by: tileRows))
        let columns = Array(Swift.stride(from: 0, to: shape.width, by: tileColumns))
        var done = 0
        for row in rows {
            for column in columns {
                let h = min(tileRows, shape.height - row), w = min(tileColumns, shape.width - column)
                let pixels = PixelBuffer(image, cropX: column * s, y: row * s, width: w * s, height: h * s)
                let tile = try encodeWindow(pixels)
                grid.paste(tile, row: row, column: column)
                done += 1
                guard progress(done, rows.count * columns.count) else { throw EditingError.cancelled }
            }
        }
        return grid
    }
}
