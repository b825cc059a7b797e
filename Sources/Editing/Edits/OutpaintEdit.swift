// OutpaintEdit: extend an image by new pixels on any side (paper §4.3, the panorama teaser).
//
// The canvas (image plus extension, padded to a multiple of S and to at least one window) is
// tokenized on one grid aligned at its top-left corner. Tokens whose S×S block lies entirely in
// the original are known; the others of the output are generated. The transformer's grid is
// fixed, so the area to fill is covered by native-size windows planned from that area (`plan`):
// the bands left and right of the original first, growing outwards from it, then the bands
// above and below over the whole width; consecutive windows overlap by `contextTokens` (a
// quarter of the window) on both axes, so every window sees at least that much of the original
// or of earlier windows. Each window's known part is whatever is there already, as if the
// windows were decoded one by one in plan order; windows that do not overlap and do not depend
// on each other (the left and the right band, every other window along a band) decode in
// lockstep, their transformer passes batched into one call per step, with the same result.
// An explicit `windowStride` keeps the older greedy plan over candidates every `stride` tokens.
// Only the known tokens the windows see are encoded, and only the windows are decoded: one
// tokenizer pass per group of touching windows (their bounding box; no seams inside a group),
// the original pixels are pasted back bit-exact; new pixels come from the decode (hard edge:
// no feathering into the original). The returned token grid keeps the encoded context and the
// wholly new blocks; blocks that are partly original are `missing` (their pixels are not their
// decode). New pixels of an RGBA image get alpha 255.

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
    /// Window stride in tokens (1...grid) for the greedy candidate plan; nil = the area plan
    /// (`plan(canvas:window:known:target:)`, overlap `contextTokens`).
    public var windowStride: Int?
    /// nil draws a seed (reported). Window k (in the order of `EditResult.windows`) decodes with
    /// RandomSource(seed).child(k).key.
    public var seed: UInt64?
    /// The input image's token grid from an earlier call; used when left and top are multiples of S.
    public var knownTokens: TokenGrid?
    /// Decode independent windows in lockstep with one batched transformer call per step
    /// (`TokenPredictor.logits(batch:)`); false steps them one by one (same tokens whenever the
    /// predictor's batched logits equal its single ones).
    public var batchWindows: Bool

    /// The most windows of one batched transformer call.
    public static let maxBatchWindows = 16

    public init(image: RGBImage, margins: EdgeInsets, condition: Conditioning, decoding: DecodingOptions = .official,
                windowStride: Int? = nil, seed: UInt64? = nil, knownTokens: TokenGrid? = nil, batchWindows: Bool = true) {
        self.image = image
        self.margins = margins
        self.condition = condition
        self.decoding = decoding
        self.windowStride = windowStride
        self.seed = seed
        self.knownTokens = knownTokens
        self.batchWindows = batchWindows
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
        if let stride = windowStride, stride < 1 || stride > min(grid.width, grid.height) {
            throw EditingError.invalidParameter(name: "windowStride", value: "\(stride)")
        }
        let layout = OutpaintEdit.layout(width: image.width, height: image.height, margins: e, tokenStride: s, window: grid)
        let canvas = layout.canvas, known = layout.known
        let plan = OutpaintEdit.plannedWindows(layout, window: grid, stride: windowStride)
        let seed = seed ?? RandomSource.drawSeed()
        func rows(_ w: PlannedWindow) -> Range<Int> { w.row..<(w.row + grid.height) }
        func columns(_ w: PlannedWindow) -> Range<Int> { w.column..<(w.column + grid.width) }

        // Groups of touching windows: each is encoded (its known part) and decoded on its own,
        // over its windows' bounding box.
        let groups = OutpaintEdit.groups(plan, window: grid)
        let boxes = groups.map { group in
            (r0: group.map { plan[$0].row }.min()!, r1: group.map { plan[$0].row }.max()! + grid.height,
             c0: group.map { plan[$0].column }.min()!, c1: group.map { plan[$0].column }.max()! + grid.width)
        }

        // Known tokens in the boxes (the windows' context, and whatever else of the original a
        // box holds): from the cache, else one encode per group (the bounding box of its missing
        // known tokens plus `encodeMargin` tokens of the original around it, which are encoded
        // for context and dropped).
        var tokens = TokenGrid(width: canvas.width, height: canvas.height)
        var needed = [Bool](repeating: false, count: canvas.count)
        for b in boxes { for r in b.r0..<b.r1 { for c in b.c0..<b.c1 where known[r * canvas.width + c] { needed[r * canvas.width + c] = true } } }
        if let knownTokens, e.left % s == 0, e.top % s == 0 {
            let dr = e.top / s, dc = e.left / s
            for i in 0..<canvas.count where needed[i] {
                let r = i / canvas.width - dr, c = i % canvas.width - dc
                if r >= 0, r < knownTokens.height, c >= 0, c < knownTokens.width { tokens.tokens[i] = knownTokens[r, c] }
            }
        }
        for g in boxes {
            var box: (r0: Int, r1: Int, c0: Int, c1: Int)?
            for r in g.r0..<g.r1 { for c in g.c0..<g.c1 {
                let i = r * canvas.width + c
                guard needed[i], tokens.tokens[i] == TokenGrid.missing else { continue }
                box = box.map { (min($0.r0, r), max($0.r1, r + 1), min($0.c0, c), max($0.c1, c + 1)) } ?? (r, r + 1, c, c + 1)
            } }
            guard let b = box else { continue }
            let m = OutpaintEdit.encodeMargin, k = layout.knownBox
            let er0 = max(k.r0, b.r0 - m), er1 = min(k.r1, b.r1 + m), ec0 = max(k.c0, b.c0 - m), ec1 = min(k.c1, b.c1 + m)
            let pixels = PixelBuffer(image, cropX: ec0 * s - e.left, y: er0 * s - e.top,
                                     width: (ec1 - ec0) * s, height: (er1 - er0) * s)
            let encoded = try editor.encodeWindow(pixels)
            for r in b.r0..<b.r1 { for c in b.c0..<b.c1 {
                let i = r * canvas.width + c
                if needed[i], tokens.tokens[i] == TokenGrid.missing { tokens.tokens[i] = encoded[r - er0, c - ec0] }
            } }
        }

        // Decode the windows: the plan is in wave order, and windows of one wave are independent.
        let source = RandomSource(seed: seed)
        var reports: [EditWindow] = []
        reports.reserveCapacity(plan.count)
        for wave in OutpaintEdit.waves(plan, window: grid) {
            var start = wave.lowerBound
            while start < wave.upperBound {
                let chunk = start..<min(wave.upperBound, start + OutpaintEdit.maxBatchWindows)
                var inputs: [TokenGrid] = [], sessions: [DecodingSession] = []
                for k in chunk {
                    let w = plan[k]
                    let windowGrid = tokens.crop(row: w.row, column: w.column, shape: grid)
                    inputs.append(windowGrid)
                    sessions.append(try DecodingSession(predictor: editor.predictor, grid: windowGrid, condition: condition,
                                                        options: decoding, seed: source.child(UInt64(k)).key))
                }
                while !sessions.allSatisfy(\.isFinished) {
                    try DecodingSession.stepTogether(&sessions, batched: batchWindows)
                    // A cancel is honoured after every step, the last one of a window included.
                    // Counted in nominal window steps (steps − startStep each), a window that
                    // finished (fewer steps with adaptiveSteps) counting all of them: strictly
                    // increasing, ending at windows × nominal steps.
                    let nominal = decoding.steps - decoding.startStep
                    let longest = sessions.max { $0.options.steps < $1.options.steps }!
                    var report = EditProgress(window: chunk.lowerBound, windowCount: plan.count,
                                              decoding: longest.progress, windowsInStep: chunk.count)
                    report.countedSteps = (chunk.lowerBound * nominal
                                           + sessions.reduce(0) { $0 + ($1.isFinished ? nominal : min(nominal, $1.progress.stepsDone)) },
                                           plan.count * nominal)
                    if !progress(report) { throw EditingError.cancelled }
                }
                for (j, k) in chunk.enumerated() {
                    guard let decoded = sessions[j].resultGrid else { throw EditingError.cancelled }
                    let w = plan[k]
                    tokens.paste(decoded, row: w.row, column: w.column)
                    reports.append(EditWindow(x: w.column * s - e.left, y: w.row * s - e.top, width: grid.width * s,
                                              height: grid.height * s, scale: 1, gridShape: grid,
                                              tokenMask: inputs[j].tokens.map { $0 == TokenGrid.missing },
                                              steps: sessions[j].options.steps))
                }
                start = chunk.upperBound
            }
        }

        // One decode per group (its windows' bounding box), then the original pasted back bit-exact.
        var owner = [Int](repeating: -1, count: canvas.count)
        var decodedGroups: [(pixels: PixelBuffer, r0: Int, c0: Int)] = []
        for (g, group) in groups.enumerated() {
            let b = boxes[g]
            for k in group { for r in rows(plan[k]) { for c in columns(plan[k]) where owner[r * canvas.width + c] < 0 {
                owner[r * canvas.width + c] = g
            } } }
            var box = tokens.crop(row: b.r0, column: b.c0, shape: GridShape(height: b.r1 - b.r0, width: b.c1 - b.c0))
            OutpaintEdit.fillMissing(&box)
            let pixels = try editor.decodeGrid(box)
            decodedGroups.append((pixels, b.r0, b.c0))
        }
        var output = RGBImage(width: outWidth, height: outHeight, layout: image.layout, filledWith: 255)
        let ch = image.channels
        output.pixels.withUnsafeMutableBufferPointer { out in
            image.pixels.withUnsafeBufferPointer { original in
                func generated(_ x: Int, _ y: Int) {
                    let g = owner[(y / s) * canvas.width + x / s]
                    guard g >= 0 else { return }  // unreachable: the plan covers every new block
                    let p = decodedGroups[g], d = (y * outWidth + x) * ch
                    let src = ((y - p.r0 * s) * p.pixels.width + x - p.c0 * s) * 3
                    for k in 0..<3 { out[d + k] = PixelBuffer.byte(p.pixels.samples[src + k]) }
                }
                for y in 0..<outHeight {
                    let oy = y - e.top
                    guard oy >= 0, oy < image.height else {
                        for x in 0..<outWidth { generated(x, y) }
                        continue
                    }
                    for x in 0..<e.left { generated(x, y) }
                    let n = image.width * ch, d = (y * outWidth + e.left) * ch, src = oy * n
                    for k in 0..<n { out[d + k] = original[src + k] }
                    for x in (e.left + image.width)..<outWidth { generated(x, y) }
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

    /// Gives each `missing` token of `grid` the nearest known one (Chebyshev rings, raster order
    /// within a ring). In a group's box only canvas padding outside the result can be missing
    /// (no window covers it, it is not output); the decoder still needs a complete grid.
    static func fillMissing(_ grid: inout TokenGrid) {
        let source = grid
        guard source.tokens.contains(TokenGrid.missing), source.tokens.contains(where: { $0 != TokenGrid.missing }) else { return }
        for r in 0..<grid.height {
            for c in 0..<grid.width where source[r, c] == TokenGrid.missing {
                var d = 1
                search: while true {
                    for rr in max(0, r - d)...min(grid.height - 1, r + d) {
                        for cc in max(0, c - d)...min(grid.width - 1, c + d) where max(abs(rr - r), abs(cc - c)) == d {
                            if source[rr, cc] != TokenGrid.missing { grid[r, c] = source[rr, cc]; break search }
                        }
                    }
                    d += 1
                }
            }
        }
    }

    /// A window position on the canvas grid (top-left token).
    struct PlannedWindow: Hashable {
        var row: Int
        var column: Int
    }

    /// Tokens of the original encoded around the context the windows need (dropped after).
    static let encodeMargin = 2

    /// The canvas token grid of an outpaint of a `width` × `height` image by `margins`: the
    /// grown image in tokens of `tokenStride` pixels, at least one `window`.
    public static func canvas(width: Int, height: Int, margins e: EdgeInsets, tokenStride s: Int, window: GridShape) -> GridShape {
        GridShape(height: max(window.height, (height + e.top + e.bottom + s - 1) / s),
                  width: max(window.width, (width + e.left + e.right + s - 1) / s))
    }

    /// The stride of the candidate plan for an explicit `windowStride`'s bound: half the window
    /// (at least 1).
    public static func defaultStride(window: GridShape) -> Int { max(1, min(window.width, window.height) / 2) }

    /// The overlap of consecutive windows of the area plan on one axis of `size` tokens: a
    /// quarter of the window (at least 1), 2 tokens for the 8×8 grid, 4 for 16×16.
    public static func contextTokens(_ size: Int) -> Int { max(1, size / 4) }

    /// Candidate window positions on one axis (every `stride`, plus the last): the candidate
    /// plan decodes at most `candidatePositions(rows) × candidatePositions(columns)` windows, so
    /// a caller can bound the work before planning.
    public static func candidatePositions(_ extent: Int, _ size: Int, stride: Int) -> Int {
        (max(0, extent - size) + stride - 1) / stride + 1
    }

    /// The windows an outpaint decodes, at most (`stride` nil: the area plan's bands, exact
    /// unless they leave tokens to the candidate plan, whose bound is added; a stride: the
    /// candidate bound, without planning).
    public static func windowCount(width: Int, height: Int, margins: EdgeInsets, tokenStride s: Int, window: GridShape,
                                   stride: Int?) -> Int {
        let canvas = canvas(width: width, height: height, margins: margins, tokenStride: s, window: window)
        if let stride {
            return candidatePositions(canvas.height, window.height, stride: stride)
                * candidatePositions(canvas.width, window.width, stride: stride)
        }
        // The bands (linear in the canvas), plus the candidate bound where they leave tokens
        // (the greedy rest plan is quadratic, so it is not run to count).
        let l = layout(width: width, height: height, margins: margins, tokenStride: s, window: window)
        let (bands, covered) = bandPlan(canvas: canvas, window: window, known: l.known, target: l.target)
        guard (0..<canvas.count).contains(where: { l.target[$0] && !covered[$0] }) else { return bands.count }
        let stride = defaultStride(window: window)
        return bands.count + candidatePositions(canvas.height, window.height, stride: stride)
            * candidatePositions(canvas.width, window.width, stride: stride)
    }

    /// The canvas, its known tokens (blocks wholly inside the original), their bounding box, and
    /// the target: the unknown tokens whose block meets the output.
    struct Layout {
        var canvas: GridShape
        var known: [Bool]
        var knownBox: (r0: Int, r1: Int, c0: Int, c1: Int)
        var target: [Bool]
    }

    static func layout(width: Int, height: Int, margins e: EdgeInsets, tokenStride s: Int, window: GridShape) -> Layout {
        let canvas = canvas(width: width, height: height, margins: e, tokenStride: s, window: window)
        // Known: blocks entirely inside the original rectangle [left, left+w) × [top, top+h).
        let r0 = (e.top + s - 1) / s, r1 = max(r0, (e.top + height) / s)
        let c0 = (e.left + s - 1) / s, c1 = max(c0, (e.left + width) / s)
        let outRows = (height + e.top + e.bottom + s - 1) / s, outColumns = (width + e.left + e.right + s - 1) / s
        var known = [Bool](repeating: false, count: canvas.count), target = known
        for r in 0..<outRows { for c in 0..<outColumns { target[r * canvas.width + c] = true } }
        for r in r0..<r1 { for c in c0..<c1 { known[r * canvas.width + c] = true; target[r * canvas.width + c] = false } }
        return Layout(canvas: canvas, known: known, knownBox: (r0, r1, c0, c1), target: target)
    }

    /// The plan of `layout`, in wave order.
    static func plannedWindows(_ layout: Layout, window: GridShape, stride: Int?) -> [PlannedWindow] {
        let order = stride.map { Self.plan(canvas: layout.canvas, window: window, stride: $0, known: layout.known) }
            ?? Self.plan(canvas: layout.canvas, window: window, known: layout.known, target: layout.target)
        let waves = waveNumbers(order, window: window)
        return order.indices.sorted { (waves[$0], $0) < (waves[$1], $1) }.map { order[$0] }
    }

    /// The area plan: windows over the tokens to fill only. First the bands left and right of the
    /// original (its rows; a band above or below thinner than half a window is folded in),
    /// column by column outwards from the original; then the bands above and below, row by row
    /// outwards, over the columns still to fill. Along a band consecutive windows overlap by
    /// `contextTokens`, and each step outwards keeps `contextTokens` of the previous one (or of
    /// the original) in view; inside one step the even windows come first, then the odd ones
    /// between them (which see both neighbours). A window with nothing left to fill is skipped;
    /// whatever the bands leave (nothing known at all, odd shapes) is covered by the candidate
    /// plan with the default stride. Every `target` token ends up in some window.
    static func plan(canvas: GridShape, window: GridShape, known: [Bool], target: [Bool]) -> [PlannedWindow] {
        let (plan, covered) = bandPlan(canvas: canvas, window: window, known: known, target: target)
        // Anything left (nothing known, or shapes the bands miss): the candidate plan over it.
        guard (0..<canvas.count).contains(where: { target[$0] && !covered[$0] }) else { return plan }
        var have = covered
        for i in 0..<canvas.count where known[i] { have[i] = true }
        return plan + greedy(canvas: canvas, window: window, stride: defaultStride(window: window), known: have,
                             needed: { target[$0] && !covered[$0] })
    }

    /// The bands of the area plan, and the tokens they cover.
    static func bandPlan(canvas: GridShape, window: GridShape, known: [Bool], target: [Bool]) -> ([PlannedWindow], covered: [Bool]) {
        let oh = contextTokens(window.height), ow = contextTokens(window.width)
        var covered = [Bool](repeating: false, count: canvas.count)
        var plan: [PlannedWindow] = []
        func add(_ w: PlannedWindow) {
            var needed = false
            for r in w.row..<(w.row + window.height) {
                for c in w.column..<(w.column + window.width) where target[r * canvas.width + c] && !covered[r * canvas.width + c] {
                    needed = true
                }
            }
            guard needed else { return }
            plan.append(w)
            for r in w.row..<(w.row + window.height) { for c in w.column..<(w.column + window.width) { covered[r * canvas.width + c] = true } }
        }
        func evensThenOdds(_ p: [Int]) -> [Int] { p.indices.filter { $0 % 2 == 0 }.map { p[$0] } + p.indices.filter { $0 % 2 == 1 }.map { p[$0] } }

        // The known box and the output's extent in tokens.
        var kr0 = canvas.height, kr1 = 0, kc0 = canvas.width, kc1 = 0
        var outRows = 0, outColumns = 0
        for r in 0..<canvas.height {
            for c in 0..<canvas.width {
                let i = r * canvas.width + c
                if known[i] { kr0 = min(kr0, r); kr1 = max(kr1, r + 1); kc0 = min(kc0, c); kc1 = max(kc1, c + 1) }
                if known[i] || target[i] { outRows = max(outRows, r + 1); outColumns = max(outColumns, c + 1) }
            }
        }
        if kr0 < kr1 {
            // Left and right bands over the original's rows (thin top/bottom bands folded in).
            let ra = kr0 < window.height / 2 ? 0 : kr0, rb = outRows - kr1 < window.height / 2 ? outRows : kr1
            let bandRows = evensThenOdds(cover(ra, rb, size: window.height, overlap: oh, extent: canvas.height, anchor: .centre))
            if kc0 > 0 {
                for c in cover(0, kc0 + ow, size: window.width, overlap: ow, extent: canvas.width, anchor: .low).reversed() {
                    for r in bandRows { add(PlannedWindow(row: r, column: c)) }
                }
            }
            if kc1 < outColumns {
                for c in cover(kc1 - ow, outColumns, size: window.width, overlap: ow, extent: canvas.width, anchor: .high) {
                    for r in bandRows { add(PlannedWindow(row: r, column: c)) }
                }
            }
            // Top and bottom bands over the columns still to fill there.
            func columnsLeft(_ rows: Range<Int>) -> [Int] {
                var lo = canvas.width, hi = 0
                for r in rows { for c in 0..<canvas.width where target[r * canvas.width + c] && !covered[r * canvas.width + c] {
                    lo = min(lo, c); hi = max(hi, c + 1)
                } }
                guard lo < hi else { return [] }
                return evensThenOdds(cover(max(0, lo - ow), min(outColumns, hi + ow), size: window.width, overlap: ow,
                                           extent: canvas.width, anchor: .centre))
            }
            if kr0 > 0 {
                let bandColumns = columnsLeft(0..<kr0)
                for r in cover(0, kr0 + oh, size: window.height, overlap: oh, extent: canvas.height, anchor: .low).reversed() {
                    for c in bandColumns { add(PlannedWindow(row: r, column: c)) }
                }
            }
            if kr1 < outRows {
                let bandColumns = columnsLeft(kr1..<outRows)
                for r in cover(kr1 - oh, outRows, size: window.height, overlap: oh, extent: canvas.height, anchor: .high) {
                    for c in bandColumns { add(PlannedWindow(row: r, column: c)) }
                }
            }
        }
        return (plan, covered)
    }

    enum Anchor { case low, high, centre }

    /// Window positions (top or left token) covering [lo, hi) on an axis of `extent` with windows
    /// of `size`, consecutive ones overlapping by at least `overlap`: from lo to hi − size,
    /// evenly spread. A span of at most one window gets one, its `anchor` side at the span's
    /// edge (low: starts at lo; high: ends at hi; centre: centred). Clamped to [0, extent − size].
    static func cover(_ lo: Int, _ hi: Int, size: Int, overlap: Int, extent: Int, anchor: Anchor) -> [Int] {
        let clamp = { (p: Int) in max(0, min(extent - size, p)) }
        guard hi - lo > size else {
            switch anchor {
            case .low: return [clamp(lo)]
            case .high: return [clamp(hi - size)]
            case .centre: return [clamp((lo + hi - size) / 2)]
            }
        }
        let step = max(1, size - overlap)
        let n = 1 + (hi - lo - size + step - 1) / step
        var out: [Int] = []
        for i in 0..<n {
            let p = clamp(lo + (i * (hi - size - lo) + (n - 1) / 2) / (n - 1))
            if out.last != p { out.append(p) }
        }
        return out
    }

    /// For each window, 1 + the highest wave of the earlier windows it overlaps (0 if none):
    /// the windows of one wave share no token, and every window comes after all earlier windows
    /// it overlaps, so decoding wave by wave gives the tokens of decoding in plan order.
    /// O(windows × window area): per token, the highest wave of the windows over it so far.
    static func waveNumbers(_ plan: [PlannedWindow], window: GridShape) -> [Int] {
        let height = (plan.map(\.row).max() ?? 0) + window.height, width = (plan.map(\.column).max() ?? 0) + window.width
        var highest = [Int](repeating: -1, count: plan.isEmpty ? 0 : height * width)
        var waves: [Int] = []
        waves.reserveCapacity(plan.count)
        for w in plan {
            var wave = 0
            for r in w.row..<(w.row + window.height) {
                for c in w.column..<(w.column + window.width) { wave = max(wave, highest[r * width + c] + 1) }
            }
            for r in w.row..<(w.row + window.height) { for c in w.column..<(w.column + window.width) { highest[r * width + c] = wave } }
            waves.append(wave)
        }
        return waves
    }

    /// The waves of a plan in wave order, as index ranges.
    static func waves(_ plan: [PlannedWindow], window: GridShape) -> [Range<Int>] {
        guard !plan.isEmpty else { return [] }
        let numbers = waveNumbers(plan, window: window)
        var out: [Range<Int>] = []
        var start = 0
        for k in 1...plan.count where k == plan.count || numbers[k] != numbers[start] {
            out.append(start..<k)
            start = k
        }
        return out
    }

    /// Connected groups of windows (overlapping or edge-adjacent), each in plan order.
    /// O(windows × window area): windows meet through the tokens of their one-token borders.
    static func groups(_ plan: [PlannedWindow], window: GridShape) -> [[Int]] {
        guard !plan.isEmpty else { return [] }
        let height = plan.map(\.row).max()! + window.height, width = plan.map(\.column).max()! + window.width
        var parent = Array(plan.indices)
        func find(_ i: Int) -> Int { var i = i; while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }; return i }
        var last = [Int](repeating: -1, count: height * width)  // a window over the token
        for (k, w) in plan.enumerated() {
            for r in max(0, w.row - 1)..<min(height, w.row + window.height + 1) {
                for c in max(0, w.column - 1)..<min(width, w.column + window.width + 1) where last[r * width + c] >= 0 {
                    parent[find(last[r * width + c])] = find(k)
                }
            }
            for r in w.row..<(w.row + window.height) { for c in w.column..<(w.column + window.width) { last[r * width + c] = k } }
        }
        var byRoot: [Int: Int] = [:], out: [[Int]] = []
        for k in plan.indices {
            let root = find(k)
            if let g = byRoot[root] { out[g].append(k) } else { byRoot[root] = out.count; out.append([k]) }
        }
        return out
    }

    /// The candidate plan (an explicit `windowStride`): candidate positions every `stride`
    /// tokens (plus the last position on each axis); repeatedly the candidate with any unknown
    /// token and the most known tokens (ties: raster order, so a panorama first grows to the
    /// left, then to the right), until every token is known.
    static func plan(canvas: GridShape, window: GridShape, stride: Int, known initial: [Bool]) -> [PlannedWindow] {
        greedy(canvas: canvas, window: window, stride: stride, known: initial, needed: { !initial[$0] })
    }

    /// The candidate plan until no `needed` token is left unknown.
    static func greedy(canvas: GridShape, window: GridShape, stride: Int, known initial: [Bool],
                       needed: (Int) -> Bool) -> [PlannedWindow] {
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
                        let i = r * canvas.width + c
                        if known[i] { k += 1 } else if needed(i) { u += 1 }
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
