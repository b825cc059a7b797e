// TokenGrid: a row-major grid of VQ token ids, the currency between the tokenizer, the
// decoder and the server's session cache.
//
// Layout: tokens[row * width + column], Int32 ids. `TokenGrid.missing` (-1) marks a position
// whose token is not known (a sparse cache); the mask id of a predictor is a different thing
// and never appears in a TokenGrid handed to or returned from an edit.

/// The height and width of a token grid (rows × columns).
public struct GridShape: Sendable, Hashable, Codable, CustomStringConvertible {
    public var height: Int
    public var width: Int

    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }

    /// Number of positions, height × width.
    public var count: Int { height * width }

    public var description: String { "\(height)x\(width)" }
}

/// A row-major grid of token ids.
public struct TokenGrid: Sendable, Hashable, Codable {
    /// Marks a position whose token is unknown (not encoded yet, or invalidated by an edit).
    public static let missing: Int32 = -1

    public let width: Int
    public let height: Int
    /// Row-major ids, `width * height` of them.
    public var tokens: [Int32]

    /// Wraps `tokens`; nil when the count does not match the geometry.
    public init?(width: Int, height: Int, tokens: [Int32]) {
        guard width > 0, height > 0, tokens.count == width * height else { return nil }
        self.width = width
        self.height = height
        self.tokens = tokens
    }

    /// A grid filled with one id (by default `missing`).
    public init(width: Int, height: Int, filledWith value: Int32 = TokenGrid.missing) {
        precondition(width > 0 && height > 0, "TokenGrid needs positive dimensions")
        self.width = width
        self.height = height
        self.tokens = [Int32](repeating: value, count: width * height)
    }

    public var shape: GridShape { GridShape(height: height, width: width) }

    public subscript(row: Int, column: Int) -> Int32 {
        get { tokens[row * width + column] }
        set { tokens[row * width + column] = newValue }
    }

    /// True when no position is `missing`.
    public var isComplete: Bool { !tokens.contains(TokenGrid.missing) }

    /// The sub-grid at (row, column) of the given shape; positions outside this grid are `missing`.
    public func crop(row: Int, column: Int, shape: GridShape) -> TokenGrid {
        var out = TokenGrid(width: shape.width, height: shape.height)
        for r in 0..<shape.height {
            let sr = row + r
            guard sr >= 0, sr < height else { continue }
            for c in 0..<shape.width {
                let sc = column + c
                guard sc >= 0, sc < width else { continue }
                out.tokens[r * shape.width + c] = tokens[sr * width + sc]
            }
        }
        return out
    }

    /// Writes `grid` at (row, column); positions falling outside this grid are dropped.
    /// When `where` is given, only positions (of `grid`) for which it returns true are written.
    public mutating func paste(_ grid: TokenGrid, row: Int, column: Int, where include: ((Int) -> Bool)? = nil) {
        for r in 0..<grid.height {
            let dr = row + r
            guard dr >= 0, dr < height else { continue }
            for c in 0..<grid.width {
                let dc = column + c
                guard dc >= 0, dc < width else { continue }
                let i = r * grid.width + c
                if let include, !include(i) { continue }
                tokens[dr * width + dc] = grid.tokens[i]
            }
        }
    }
}
