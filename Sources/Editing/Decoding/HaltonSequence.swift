// HaltonSequence: the 2-D Halton reveal order of Halton-MaskGIT (Besnier et al., ICLR 2025,
// `Sampler/halton_sampler.py`, build_halton_mask): points (h2(i), h3(i)) for i = 1, 2, ...,
// scaled to the grid and floored, duplicates dropped, until every position appears.

/// The Halton order of the positions of a grid.
public enum HaltonSequence {
    /// The radical inverse of `index` in `base` (van der Corput): digits mirrored about the point.
    public static func radicalInverse(_ index: Int, base: Int) -> Double {
        var result = 0.0
        var fraction = 1.0 / Double(base)
        var i = index
        while i > 0 {
            result += Double(i % base) * fraction
            i /= base
            fraction /= Double(base)
        }
        return result
    }

    /// Every position of `shape` (row-major index) once, in Halton order: x = floor(h2(i)·width),
    /// y = floor(h3(i)·height) for i = 1, 2, ...; positions the sequence has not reached after
    /// 64·N points (never for grids up to 64×64) follow in raster order.
    public static func order(for shape: GridShape) -> [Int] {
        let n = shape.count
        var seen = [Bool](repeating: false, count: n)
        var order: [Int] = []
        order.reserveCapacity(n)
        var i = 1
        while order.count < n, i <= 64 * n {
            let x = min(shape.width - 1, Int(radicalInverse(i, base: 2) * Double(shape.width)))
            let y = min(shape.height - 1, Int(radicalInverse(i, base: 3) * Double(shape.height)))
            let p = y * shape.width + x
            if !seen[p] {
                seen[p] = true
                order.append(p)
            }
            i += 1
        }
        for p in 0..<n where !seen[p] { order.append(p) }
        return order
    }
}
