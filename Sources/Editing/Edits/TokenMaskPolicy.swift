// TokenMaskPolicy: which tokens of a window are regenerated, given the window's pixel mask.
// The window is grid × S pixels (S = token stride); token (r, c) covers pixels
// [r·S, (r+1)·S) × [c·S, (c+1)·S).

/// The pixel → token mapping of an edit.
public enum TokenMaskPolicy: Sendable, Hashable, Codable {
    /// A token is regenerated when any of its pixels is masked (the default).
    case anyOverlap
    /// The official class-editing rule (`inference.py` L137–164) on the mask's bounding box
    /// (top, left, h, w): rows max(0, top/S − 1) ..< min(G, top/S + h/S + 1), columns likewise,
    /// i.e. the box dilated by about one token. The official integer formula can miss the last
    /// row or column of a box that straddles a token boundary, so the any-overlap tokens are
    /// added to it: every masked pixel lies in a regenerated token.
    case officialBoundingBox
    /// Exactly the official class-editing latent mask (`inference.py` L137–164) of the mask's
    /// bounding box, nothing added: rows max(0, top/S − 1) ..< min(G, h/S + top/S + 1), columns
    /// likewise. A box straddling token boundaries can leave masked pixels outside it (the
    /// official code does the same); a box at (15, 15) of 18×18 at S = 16 gives 2×2 tokens.
    case official
    /// A token is regenerated when at least this fraction of its pixels is masked (aMUSEd-like
    /// binarized resize); a value in `coverageBounds`. Masked pixels in tokens that stay known still take
    /// the decoder's pixels (the composite weight is 1 on the pixel mask), which there reproduce
    /// the known token. Accepted: `coverageBounds`.
    case coverage(Float)

    /// The coverage fractions accepted (the one bound, also the protocol's `coverage`).
    public static let coverageBounds: ClosedRange<Double> = 0.001...1

    /// The token mask [gridShape.count] (true = regenerate) for `mask` (gridShape × stride pixels).
    public func tokenMask(for mask: PixelMask, stride s: Int, gridShape g: GridShape) -> [Bool] {
        precondition(mask.width == g.width * s && mask.height == g.height * s, "mask must be the window size")
        var counts = [Int](repeating: 0, count: g.count)
        for y in 0..<mask.height {
            for x in 0..<mask.width where mask.isMasked(x: x, y: y) { counts[(y / s) * g.width + x / s] += 1 }
        }
        let any = counts.map { $0 > 0 }
        switch self {
        case .anyOverlap:
            return any
        case .coverage(let t):
            let need = Float(s * s) * t
            return counts.map { $0 > 0 && Float($0) >= need }
        case .officialBoundingBox, .official:
            guard let box = mask.boundingBox else { return any }
            let r0 = max(0, box.y / s - 1), r1 = min(g.height, box.y / s + box.height / s + 1)
            let c0 = max(0, box.x / s - 1), c1 = min(g.width, box.x / s + box.width / s + 1)
            var out = self == .official ? [Bool](repeating: false, count: g.count) : any
            for r in r0..<max(r0, r1) {
                for c in c0..<max(c0, c1) { out[r * g.width + c] = true }
            }
            return out
        }
    }
}
