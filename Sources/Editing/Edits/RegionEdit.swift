// RegionEdit: the shared core of inpaint and class edit. Regenerates the tokens under a pixel
// mask inside one context window, decodes, and composites in pixel space.
//
//   0. parts: a mask whose far-apart parts do not fit one native window together gets one window
//      per part, applied in turn (cost follows the edited area, not the parts' bounding box)
//   1. window: a token-aligned native crop around the mask, or a larger downscaled one
//   2. token mask from the window's pixel mask (policy)
//   3. known tokens: from `knownTokens` where given (scale-1 windows), else one encode of the window
//   4. decode (DecodingSession), tokenizer decode, clip, upscale when the window was downscaled
//   5. composite: m = blur(region, σ = radius) ∨ pixel mask, input bytes kept where m = 0, where the
//      region is the pixel mask (`CompositeRegion.mask`) or the regenerated tokens (`.tokens`);
//      `.official` is the official recipe instead (OfficialComposite: no ∨ pixel mask, unclipped)
//   6. token cache: tokens whose pixels are now a blend (neither all generated nor all kept)
//      become `missing`, so a later edit encodes them from the pixels instead of trusting them

import ImageCodecs

/// Which area the feathered composite grows from.
public enum CompositeRegion: String, Sendable, Hashable, Codable, CaseIterable {
    /// The pixel mask: only the mask and a band of about 3σ around it change; pixels of
    /// regenerated tokens farther out keep their input bytes. What an editor's selection implies.
    case mask
    /// The regenerated tokens: whole token cells change, plus the band around them (the
    /// project's byte-exact version of the official composite: weight 1 on the pixel mask,
    /// truncated Gaussian, input bytes copied outside the band).
    case tokens
    /// The official `composite_outputs` exactly (OfficialComposite): the token mask upsampled
    /// with Pillow's bicubic resize, Pillow's GaussianBlur(S // 16 − 1) with edges extended,
    /// the decoder's unclipped output blended in Float32 and clipped at the end.
    case official
}

/// Regenerates the pixels under a mask: the edit behind InpaintEdit and ClassEdit.
public struct RegionEdit: ImageEdit {
    public var image: RGBImage
    /// Same size as `image`; ≥ 0.5 = regenerate.
    public var mask: PixelMask
    /// The class token (official checkpoints need one; `.unconditional` needs a null class).
    public var condition: Conditioning
    public var decoding: DecodingOptions
    public var policy: TokenMaskPolicy
    /// Gaussian σ in native pixels (scaled by 1/scale in downscaled windows); nil = S/16 − 1.
    public var featherRadius: Float?
    /// Where the feathered composite grows from.
    public var composite: CompositeRegion
    /// nil draws a seed (reported in the result).
    public var seed: UInt64?
    /// The image's token grid from an earlier call (⌈h/S⌉ × ⌈w/S⌉, `missing` where unknown);
    /// positions it holds are not re-encoded.
    public var knownTokens: TokenGrid?
    /// Context, in tokens, the tokenizer sees around the cells it works on; nil runs it on the
    /// whole window (what the official code does). With a value, the encoder runs only on the
    /// bounding box of the cells the token cache lacks (a session's earlier edit left them
    /// blended) grown by this, and the decoder only on the regenerated cells' bounding box grown
    /// by max(this, the composite band in tokens), both clipped to the window: their cost follows
    /// the edited area. Tokens and pixels can differ slightly from whole-window passes
    /// (convolution padding and GroupNorm statistics see a smaller grid; Docs/Benchmarks.md
    /// measures by how much); decoded pixels outside the crop are never used. The decoder crop
    /// is not used with the official composite.
    public var tokenizerContext: Int?

    /// This edit's window among the edit's windows (far-apart mask parts get one each).
    var windowIndex = 0
    var windowCount = 1

    /// The feather radii accepted, in pixels (the one bound, also the protocol's `feather`).
    public static let featherBounds: ClosedRange<Double> = 0...256

    public init(image: RGBImage, mask: PixelMask, condition: Conditioning, decoding: DecodingOptions, policy: TokenMaskPolicy,
                featherRadius: Float?, composite: CompositeRegion, seed: UInt64?, knownTokens: TokenGrid?) {
        self.image = image
        self.mask = mask
        self.condition = condition
        self.decoding = decoding
        self.policy = policy
        self.featherRadius = featherRadius
        self.composite = composite
        self.seed = seed
        self.knownTokens = knownTokens
    }

    /// Runs the edit: one window for the mask, or, when the mask has parts farther apart than
    /// one native window can hold together, one window per part (see `parts`), applied in turn,
    /// each on the previous one's image and token grid. Part k > 0 decodes with the seed
    /// RandomSource(seed).child(k).key; the reported feather radius is the largest used.
    public func run(on editor: ImageEditor, progress: (EditProgress) -> Bool) throws -> EditResult {
        guard mask.width == image.width, mask.height == image.height else {
            throw EditingError.maskSize(maskWidth: mask.width, maskHeight: mask.height,
                                        imageWidth: image.width, imageHeight: image.height)
        }
        let seed = seed ?? RandomSource.drawSeed()
        let parts = RegionEdit.parts(of: mask, editor: editor, featherRadius: featherRadius ?? editor.officialFeatherRadius)
        guard parts.count > 1 else {
            var single = self
            single.seed = seed
            return try single.runWindow(on: editor, progress: progress)
        }
        var current = self
        current.windowCount = parts.count
        var windows: [EditWindow] = []
        var radius: Float = 0
        var result: EditResult?
        for (k, part) in parts.enumerated() {
            current.mask = part
            current.windowIndex = k
            current.seed = k == 0 ? seed : RandomSource(seed: seed).child(UInt64(k)).key
            let r = try current.runWindow(on: editor, progress: progress)
            current.image = r.image
            current.knownTokens = r.tokens
            windows += r.windows
            radius = max(radius, r.featherRadius)
            result = r
        }
        guard var combined = result else { throw EditingError.emptyMask }
        combined.seed = seed
        combined.windows = windows
        combined.featherRadius = radius
        return combined
    }

    /// The mask split into parts that each get their own window, or `[mask]`.
    ///
    /// Token cells holding a masked pixel are grouped 8-connected after a gap of
    /// max(2, ⌈2 · band / S⌉ + 1) cells is bridged (so parts whose feathered bands could meet
    /// share a window). The split is used only when the whole mask's bounding box does not fit
    /// one native-size window while there are at least two groups; otherwise one window (native
    /// or downscaled) serves the whole mask, as before.
    static func parts(of mask: PixelMask, editor: ImageEditor, featherRadius: Float) -> [PixelMask] {
        guard let box = mask.boundingBox else { return [mask] }
        let s = editor.stride
        // Fits one token-aligned native window: nothing to gain.
        if box.maxX - box.x / s * s <= editor.windowWidth, box.maxY - box.y / s * s <= editor.windowHeight { return [mask] }
        let rows = (mask.height + s - 1) / s, columns = (mask.width + s - 1) / s
        var occupied = [Bool](repeating: false, count: rows * columns)
        for y in box.y..<box.maxY {
            for x in box.x..<box.maxX where mask.isMasked(x: x, y: y) { occupied[(y / s) * columns + x / s] = true }
        }
        let band = Compositing.support(radius: max(0, featherRadius) * 4)  // generous: downscaled windows widen σ
        let gap = max(2, (2 * band + s - 1) / s + 1)
        var label = [Int](repeating: -1, count: rows * columns)
        var groups = 0
        for start in occupied.indices where occupied[start] && label[start] < 0 {
            label[start] = groups
            var stack = [start]
            while let cell = stack.popLast() {
                let r = cell / columns, c = cell % columns
                for rr in max(0, r - gap)...min(rows - 1, r + gap) {
                    for cc in max(0, c - gap)...min(columns - 1, c + gap) {
                        let other = rr * columns + cc
                        if occupied[other], label[other] < 0 { label[other] = groups; stack.append(other) }
                    }
                }
            }
            groups += 1
        }
        guard groups > 1 else { return [mask] }
        var parts = [PixelMask](repeating: PixelMask(width: mask.width, height: mask.height), count: groups)
        for y in box.y..<box.maxY {
            for x in box.x..<box.maxX where mask.isMasked(x: x, y: y) {
                parts[label[(y / s) * columns + x / s]].values[y * mask.width + x] = mask.values[y * mask.width + x]
            }
        }
        return parts
    }

    /// The window's cells whose generated pixels the composite can use: the regenerated cells
    /// and every cell holding a masked pixel (the pixel mask gets weight 1 even in a kept cell
    /// under a coverage policy).
    static func cellsToDecode(tokenMask: [Bool], windowMask: PixelMask, stride s: Int, grid: GridShape) -> [Bool] {
        var cells = tokenMask
        for y in 0..<min(windowMask.height, grid.height * s) {
            for x in 0..<min(windowMask.width, grid.width * s) where windowMask.isMasked(x: x, y: y) {
                cells[(y / s) * grid.width + x / s] = true
            }
        }
        return cells
    }

    /// The token sub-grid a `tokenizerContext` encode or decode covers: the bounding box of `cells` grown by
    /// max(context, reachTokens) on each side, clipped to the grid; nil when no cell is set or
    /// the crop is the whole grid.
    static func tokenCrop(cells: [Bool], grid: GridShape, context: Int, reachTokens: Int)
        -> (row: Int, column: Int, shape: GridShape)?
    {
        var r0 = grid.height, r1 = -1, c0 = grid.width, c1 = -1
        for i in cells.indices where cells[i] {
            let r = i / grid.width, c = i % grid.width
            r0 = min(r0, r); r1 = max(r1, r); c0 = min(c0, c); c1 = max(c1, c)
        }
        guard r1 >= 0 else { return nil }
        let m = max(0, max(context, reachTokens))
        r0 = max(0, r0 - m); c0 = max(0, c0 - m)
        r1 = min(grid.height - 1, r1 + m); c1 = min(grid.width - 1, c1 + m)
        let shape = GridShape(height: r1 - r0 + 1, width: c1 - c0 + 1)
        guard shape != grid else { return nil }
        return (r0, c0, shape)
    }

    /// One window: the pipeline at the top of this file.
    private func runWindow(on editor: ImageEditor, progress: (EditProgress) -> Bool) throws -> EditResult {
        guard mask.width == image.width, mask.height == image.height else {
            throw EditingError.maskSize(maskWidth: mask.width, maskHeight: mask.height,
                                        imageWidth: image.width, imageHeight: image.height)
        }
        guard let box = mask.boundingBox else { throw EditingError.emptyMask }
        if let radius = featherRadius, !RegionEdit.featherBounds.contains(Double(radius)) {
            throw EditingError.invalidParameter(name: "featherRadius", value: "\(radius)")
        }
        if case .coverage(let t) = policy, !TokenMaskPolicy.coverageBounds.contains(Double(t)) {
            throw EditingError.invalidParameter(name: "coverage", value: "\(t)")
        }
        let s = editor.stride
        let grid = editor.predictor.gridShape
        let imageShape = editor.tokenShape(width: image.width, height: image.height)
        if let knownTokens, knownTokens.shape != imageShape {
            throw EditingError.knownTokensShape(expected: imageShape, got: knownTokens.shape)
        }
        let seed = seed ?? RandomSource.drawSeed()
        let window = ContextWindow.choose(box: box, imageWidth: image.width, imageHeight: image.height,
                                          windowWidth: editor.windowWidth, windowHeight: editor.windowHeight, stride: s)
        let scaled = window.scale != 1

        // [wh, ww, 3] native-size window pixels and mask.
        var pixels = PixelBuffer(image, cropX: window.x, y: window.y, width: window.width, height: window.height)
        var windowMask = mask.crop(x: window.x, y: window.y, width: window.width, height: window.height)
        if scaled {
            pixels = pixels.resized(width: editor.windowWidth, height: editor.windowHeight)
            windowMask = windowMask.resizedConservatively(width: editor.windowWidth, height: editor.windowHeight)
        }
        let tokenMask = policy.tokenMask(for: windowMask, stride: s, gridShape: grid)

        // Known tokens: the cache where it has them (scale 1 only), the encoder for the rest.
        var known = TokenGrid(width: grid.width, height: grid.height)
        if !scaled, let knownTokens {
            known = knownTokens.crop(row: window.y / s, column: window.x / s, shape: grid)
        }
        let toEncode = (0..<grid.count).map { !tokenMask[$0] && known.tokens[$0] == TokenGrid.missing }
        if toEncode.contains(true) {
            if let context = tokenizerContext,
               let crop = RegionEdit.tokenCrop(cells: toEncode, grid: grid, context: context, reachTokens: 0) {
                // Only the cells the cache lacks, with `context` cells around them, are encoded.
                let part = try editor.encodeWindow(pixels.crop(x: crop.column * s, y: crop.row * s,
                                                               width: crop.shape.width * s, height: crop.shape.height * s))
                for r in 0..<crop.shape.height {
                    for c in 0..<crop.shape.width where known[crop.row + r, crop.column + c] == TokenGrid.missing {
                        known[crop.row + r, crop.column + c] = part[r, c]
                    }
                }
            } else {
                let encoded = try editor.encodeWindow(pixels)
                for i in 0..<grid.count where known.tokens[i] == TokenGrid.missing { known.tokens[i] = encoded.tokens[i] }
            }
        }
        for i in 0..<grid.count where tokenMask[i] { known.tokens[i] = TokenGrid.missing }

        var session = try DecodingSession(predictor: editor.predictor, grid: known, condition: condition,
                                          options: decoding, seed: seed)
        let decoded = try editor.runDecode(&session, window: windowIndex, windowCount: windowCount, progress: progress)
        // Composite weight radius at image resolution.
        let officialRadius = composite == .official
            ? OfficialComposite.radius(windowSize: max(editor.windowWidth, editor.windowHeight)) : editor.officialFeatherRadius
        let radius = (featherRadius ?? officialRadius) / Float(window.scale)

        var generated: PixelBuffer
        if let context = tokenizerContext, composite != .official,
           let crop = RegionEdit.tokenCrop(cells: RegionEdit.cellsToDecode(tokenMask: tokenMask, windowMask: windowMask, stride: s, grid: grid),
                                             grid: grid, context: context,
                                             reachTokens: (scaled ? 1 : 0) + (composite == .mask ? 0  // resampling reads one cell beyond
                                                 : (Int((Double(Compositing.support(radius: radius)) * window.scale).rounded(.up)) + s - 1) / s)) {
            // Only the crop is decoded; the rest of the window stays 0 and gets composite weight 0.
            let part = try editor.decodeGrid(decoded.crop(row: crop.row, column: crop.column, shape: crop.shape))
            generated = PixelBuffer(width: grid.width * s, height: grid.height * s)
            for r in 0..<part.height {
                let d = ((crop.row * s + r) * generated.width + crop.column * s) * 3, src = r * part.width * 3
                for k in 0..<(part.width * 3) { generated.samples[d + k] = part.samples[src + k] }
            }
        } else {
            generated = try editor.decodeGrid(decoded, clip: composite != .official)
        }
        if scaled { generated = generated.resized(width: window.width, height: window.height) }
        var regenerated = [Bool](repeating: false, count: window.width * window.height)   // pixel in a regenerated token
        var masked = [Float](repeating: 0, count: window.width * window.height)           // pixel in the pixel mask
        for r in 0..<window.height {
            let tr = min(grid.height - 1, Int(Double(r) * window.scale) / s)
            let iy = window.y + r
            for c in 0..<window.width {
                let tc = min(grid.width - 1, Int(Double(c) * window.scale) / s)
                regenerated[r * window.width + c] = tokenMask[tr * grid.width + tc]
                let ix = window.x + c
                if iy >= 0, iy < image.height, ix >= 0, ix < image.width, mask.isMasked(x: ix, y: iy) {
                    masked[r * window.width + c] = 1
                }
            }
        }
        var weight: [Float]
        let output: RGBImage
        switch composite {
        case .official:
            weight = OfficialComposite.weight(tokenMask: tokenMask, grid: grid, width: window.width, height: window.height,
                                              radius: radius)
            output = OfficialComposite.blend(input: image, generated: generated, x: window.x, y: window.y, weight: weight)
        case .tokens, .mask:
            if composite == .tokens {
                weight = Compositing.blur(regenerated.map { $0 ? 1 : 0 }, width: window.width, height: window.height, radius: radius)
            } else {
                weight = Compositing.blur(masked, width: window.width, height: window.height, radius: radius)
                // Outside the regenerated tokens the "generated" pixels only re-render known tokens.
                for i in weight.indices where !regenerated[i] { weight[i] = 0 }
            }
            for i in weight.indices where masked[i] == 1 { weight[i] = 1 }
            output = Compositing.blend(input: image, generated: generated, x: window.x, y: window.y, weight: weight)
        }

        // The image's token grid after the edit.
        var tokens = knownTokens ?? TokenGrid(width: imageShape.width, height: imageShape.height)
        if scaled {
            for r in 0..<window.height {
                for c in 0..<window.width where weight[r * window.width + c] > 0 {
                    let iy = window.y + r, ix = window.x + c
                    guard iy >= 0, iy < image.height, ix >= 0, ix < image.width else { continue }
                    tokens[iy / s, ix / s] = TokenGrid.missing
                }
            }
        } else {
            tokens.paste(decoded, row: window.y / s, column: window.x / s)
            // A token stays known only if its pixels are wholly generated (weight 1 on a regenerated
            // token) or wholly kept (weight 0): blended cells are encoded again when next needed.
            var fullyGenerated = [Bool](repeating: true, count: grid.count)
            var touched = [Bool](repeating: false, count: grid.count)
            for r in 0..<window.height {
                for c in 0..<window.width {
                    let t = (r / s) * grid.width + c / s
                    let w = weight[r * window.width + c]
                    if w < 1 { fullyGenerated[t] = false }
                    if w > 0 { touched[t] = true }
                }
            }
            for t in 0..<grid.count {
                let exact = tokenMask[t] ? fullyGenerated[t] : !touched[t]
                let row = window.y / s + t / grid.width, column = window.x / s + t % grid.width
                if !exact, row < tokens.height, column < tokens.width { tokens[row, column] = TokenGrid.missing }
            }
        }
        let report = EditWindow(x: window.x, y: window.y, width: window.width, height: window.height,
                                scale: window.scale, gridShape: grid, tokenMask: tokenMask, steps: session.options.steps)
        var result = EditResult(image: output, tokens: tokens, seed: seed, windows: [report], featherRadius: radius)
        if composite == .official {
            result.bandOverride = OfficialComposite.reach(cell: Double(window.width) / Double(grid.width), radius: radius)
        }
        return result
    }
}
