// OutpaintEdit: extend an image by new pixels on any side (paper §4.3, the panorama teaser).
//
// The canvas (image plus extension, padded to a multiple of S and to at least one window) is
// tokenized on one grid aligned at its top-left corner. Tokens whose S×S block lies entirely in
// the original are known; all others are generated. The transformer's grid is fixed, so the
// canvas is covered by overlapping windows (native size, stride half a window by default):
// windows are decoded greedily, always the one with the most known tokens next, and each
// window's known part is whatever is there already (original or earlier windows), so a
// panorama of any width grows outwards from the original. The whole canvas grid is then decoded
// in one tokenizer pass (no seams between windows; only the windows' bounding box is encoded
// and decoded, so a large original costs little) and the original pixels are pasted back
// bit-exact; new pixels come from the decode (hard edge: no feathering into the original).
// The returned token grid keeps the known and the wholly new blocks; blocks that are partly
// original are `missing` (their pixels are not their decode).
// New pixels of an RGBA image get alpha 255.

import ImageCodecs

/// Pixels to add on each side.
public struct EdgeInsets: Sendable, Hashable, Codable {
    public var left: Int
    public var top: Int
    public var right: Int
    public var bottom: Int

    public init(left: Int = 0, top: Int = 0, right: Int = 0, bottom: Int = 0) {
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
    }
}

/// Extends an image of any size by generated pixels.
public struct OutpaintEdit: ImageEdit {
    public var image: RGBImage
    public var margins: EdgeInsets
    public var condition: Conditioning
    public var decoding: DecodingOptions
    /// Window stride in tokens (1...grid); nil = half the grid (at least 1).
    public var windowStride: Int?
    /// nil draws a seed (reported). Window k decodes with RandomSource(seed).child(k).key.
    public var seed: UInt64?
    /// The input image's token grid from an earlier call; used when left and top are multiples of S.
    public var knownTokens: TokenGrid?

    public init(image: RGBImage, margins: EdgeInsets, condition: Conditioning, decoding: DecodingOptions = .official,
                windowStride: Int? = nil, seed: UInt64? = nil, knownTokens: TokenGrid? = nil) {
        self.image = image
        self.margins = margins
        self.condition = condition
        self.decoding = decoding
        self.windowStride = windowStride
        self.seed = seed
        self.knownTokens = knownTokens
    }

    public func run(on editor: ImageEditor, progress: (EditProgress) -> Bool) throws -> EditResult {
        let e = margins
        for (name, v) in [("left", e.left), ("top", e.top), ("right", e.right), ("bottom", e.bottom)] where v < 0 {
            throw EditingError.invalidParameter(name: name, value: "\(v)")
        }
        let s = editor.stride
        let grid = editor.predictor.gridShape
        let inputShape = editor.tokenShape(width: image.width, height: image.height)
        if let knownTokens, knownTokens.shape != inputShape {
            throw EditingError.knownTokensShape(expected: inputShape, got: knownTokens.shape)
        }
        let outWidth = image.width + e.left + e.right, outHeight = image.height + e.top + e.bottom
        let canvas = OutpaintEdit.canvas(width: image.width, height: image.height, margins: e, tokenStride: s, window: grid)
        let seed = seed ?? RandomSource.drawSeed()

        // Known tokens: blocks entirely inside the original rectangle [left, left+w) × [top, top+h).
        var known = [Bool](repeating: false, count: canvas.count)
        for r in 0..<canvas.height where r * s >= e.top && (r + 1) * s <= e.top + image.height {
            for c in 0..<canvas.width where c * s >= e.left && (c + 1) * s <= e.left + image.width {
                known[r * canvas.width + c] = true
            }
        }
        let stride = windowStride ?? OutpaintEdit.defaultStride(window: grid)
        guard stride >= 1, stride <= min(grid.width, grid.height) else {
            throw EditingError.invalidParameter(name: "windowStride", value: "\(stride)")
        }
        let plan = OutpaintEdit.plan(canvas: canvas, window: grid, stride: stride, known: known)

        // The canvas part that is decoded: the bounding box of the planned windows (every unknown
        // token lies in it). Known tokens in it come from the cache, else from one encode.
        let r0 = plan.map(\.row).min() ?? 0, c0 = plan.map(\.column).min() ?? 0
        let r1 = plan.isEmpty ? 0 : plan.map(\.row).max()! + grid.height
        let c1 = plan.isEmpty ? 0 : plan.map(\.column).max()! + grid.width
        var tokens = TokenGrid(width: canvas.width, height: canvas.height)
        if let knownTokens, e.left % s == 0, e.top % s == 0 {
            let dr = e.top / s, dc = e.left / s
            for i in 0..<canvas.count where known[i] {
                let r = i / canvas.width - dr, c = i % canvas.width - dc
                if r >= 0, r < knownTokens.height, c >= 0, c < knownTokens.width { tokens.tokens[i] = knownTokens[r, c] }
            }
        }
        var needed = [Bool](repeating: false, count: canvas.count)
        for r in r0..<r1 { for c in c0..<c1 { needed[r * canvas.width + c] = known[r * canvas.width + c] } }
        let toEncode = (0..<canvas.count).filter { needed[$0] && tokens.tokens[$0] == TokenGrid.missing }
        if !toEncode.isEmpty {
            let rows = toEncode.map { $0 / canvas.width }, cols = toEncode.map { $0 % canvas.width }
            let er0 = rows.min()!, er1 = rows.max()! + 1, ec0 = cols.min()!, ec1 = cols.max()! + 1
            let pixels = PixelBuffer(image, cropX: ec0 * s - e.left, y: er0 * s - e.top,
                                                 width: (ec1 - ec0) * s, height: (er1 - er0) * s)
            let encoded = try editor.encodeWindow(pixels)
            for i in toEncode { tokens.tokens[i] = encoded[i / canvas.width - er0, i % canvas.width - ec0] }
        }

        // Decode the windows in plan order.
        let source = RandomSource(seed: seed)
        var reports: [EditWindow] = []
        for (k, w) in plan.enumerated() {
            let windowGrid = tokens.crop(row: w.row, column: w.column, shape: grid)
            var session = try DecodingSession(predictor: editor.predictor, grid: windowGrid, condition: condition,
                                              options: decoding, seed: source.child(UInt64(k)).key)
            let decoded = try editor.runDecode(&session, window: k, windowCount: plan.count, progress: progress)
            tokens.paste(decoded, row: w.row, column: w.column)
            reports.append(EditWindow(x: w.column * s - e.left, y: w.row * s - e.top, width: grid.width * s,
                                      height: grid.height * s, scale: 1, gridShape: grid,
                                      tokenMask: windowGrid.tokens.map { $0 == TokenGrid.missing }))
        }

        // One decode of the windows' bounding box, then the original pasted back bit-exact.
        let pixels = plan.isEmpty ? PixelBuffer(width: 1, height: 1)
            : try editor.decodeGrid(tokens.crop(row: r0, column: c0, shape: GridShape(height: r1 - r0, width: c1 - c0)))
        var output = RGBImage(width: outWidth, height: outHeight, layout: image.layout, filledWith: 255)
        let ch = image.channels
        for y in 0..<outHeight {
            for x in 0..<outWidth {
                let d = (y * outWidth + x) * ch
                let ox = x - e.left, oy = y - e.top
                if ox >= 0, ox < image.width, oy >= 0, oy < image.height {
                    let src = (oy * image.width + ox) * ch
                    for k in 0..<ch { output.pixels[d + k] = image.pixels[src + k] }
                } else {
                    let src = ((y - r0 * s) * pixels.width + x - c0 * s) * 3
                    for k in 0..<3 { output.pixels[d + k] = PixelBuffer.byte(pixels.samples[src + k]) }
                }
            }
        }
        // The token cache follows the pixels, as RegionEdit's does: a generated token whose block
        // holds original pixels (the blocks straddling the original's edge) no longer describes
        // them (the original bytes were pasted back over its decode), so it becomes `missing` and
        // a later edit encodes it from the pixels.
        for r in 0..<canvas.height where r * s < e.top + image.height && (r + 1) * s > e.top {
            for c in 0..<canvas.width where c * s < e.left + image.width && (c + 1) * s > e.left {
                if !known[r * canvas.width + c] { tokens[r, c] = TokenGrid.missing }
            }
        }
        let outShape = editor.tokenShape(width: outWidth, height: outHeight)
        return EditResult(image: output, tokens: tokens.crop(row: 0, column: 0, shape: outShape), seed: seed,
                          windows: reports, featherRadius: 0)
    }

    /// A window position on the canvas grid (top-left token).
    struct PlannedWindow: Hashable {
        var row: Int
        var column: Int
    }

    /// The canvas token grid of an outpaint of a `width` × `height` image by `margins`: the
    /// grown image in tokens of `tokenStride` pixels, at least one `window`.
    public static func canvas(width: Int, height: Int, margins e: EdgeInsets, tokenStride s: Int, window: GridShape) -> GridShape {
        GridShape(height: max(window.height, (height + e.top + e.bottom + s - 1) / s),
                  width: max(window.width, (width + e.left + e.right + s - 1) / s))
    }

    /// The window stride when none is given: half the window (at least 1).
    public static func defaultStride(window: GridShape) -> Int { max(1, min(window.width, window.height) / 2) }

    /// Candidate window positions on one axis (every `stride`, plus the last): `plan` decodes at
    /// most `candidatePositions(rows) × candidatePositions(columns)` windows, so a caller can bound
    /// the work before planning.
    public static func candidatePositions(_ extent: Int, _ size: Int, stride: Int) -> Int {
        (max(0, extent - size) + stride - 1) / stride + 1
    }

    /// The windows to decode, in order: candidate positions every `stride` tokens (plus the last
    /// position on each axis); repeatedly the candidate with any unknown token and the most known
    /// tokens (ties: raster order, so a panorama first grows to the left, then to the right),
    /// until every token is known.
    static func plan(canvas: GridShape, window: GridShape, stride: Int, known initial: [Bool]) -> [PlannedWindow] {
        func positions(_ extent: Int, _ size: Int) -> [Int] {  // candidatePositions(extent, size, stride) of them
            var p = Array(Swift.stride(from: 0, through: extent - size, by: stride))
            if p.last != extent - size { p.append(extent - size) }
            return p
        }
        var candidates: [PlannedWindow] = []
        for r in positions(canvas.height, window.height) {
            for c in positions(canvas.width, window.width) { candidates.append(PlannedWindow(row: r, column: c)) }
        }
        var known = initial
        var plan: [PlannedWindow] = []
        while true {
            var best: (window: PlannedWindow, known: Int)?
            for w in candidates {
                var k = 0, u = 0
                for r in w.row..<(w.row + window.height) {
                    for c in w.column..<(w.column + window.width) {
                        if known[r * canvas.width + c] { k += 1 } else { u += 1 }
                    }
                }
                if u > 0, best == nil || k > best!.known { best = (w, k) }
            }
            guard let chosen = best?.window else { break }
            plan.append(chosen)
            for r in chosen.row..<(chosen.row + window.height) {
                for c in chosen.column..<(chosen.column + window.width) { known[r * canvas.width + c] = true }
            }
        }
        return plan
    }
}
