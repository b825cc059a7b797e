// ContextWindow: where an edit of a masked region decodes. The transformer sees a fixed
// grid × S window; the region's bounding box decides:
//   * fits in a token-aligned window (scale 1): the aligned native-size window closest to being
//     centred on the box, inside the image padded to a multiple of S (and to at least the window);
//   * does not fit: a larger window, centred on the box with about one token of context on each
//     side (in native pixels), downscaled to native size for the decode and upscaled back.
// Pixels outside the image are edge-replicated (the padding of small or odd-sized images); they
// are cropped away by the composite.

struct ContextWindow {
    var x: Int
    var y: Int
    var width: Int
    var height: Int
    /// Native pixels per image pixel.
    var scale: Double

    /// The window for a region with bounding box `box` in an image of the given size.
    static func choose(box: PixelRect, imageWidth: Int, imageHeight: Int,
                       windowWidth ww: Int, windowHeight wh: Int, stride s: Int) -> ContextWindow {
        func aligned(lo: Int, hi: Int, extent: Int, size: Int) -> Int? {
            // The multiple of s in [maxEnd − size, minStart] ∩ [0, padded − size] nearest the centre.
            let padded = max(size, (extent + s - 1) / s * s)
            let low = max(0, hi - size), high = min(lo, padded - size)
            let first = (low + s - 1) / s * s, last = high >= 0 ? high / s * s : -1
            guard first <= last else { return nil }
            let centred = (lo + hi) / 2 - size / 2
            let nearest = Int((Double(centred) / Double(s)).rounded()) * s
            return min(last, max(first, nearest))
        }
        if let x = aligned(lo: box.x, hi: box.maxX, extent: imageWidth, size: ww),
           let y = aligned(lo: box.y, hi: box.maxY, extent: imageHeight, size: wh) {
            return ContextWindow(x: x, y: y, width: ww, height: wh, scale: 1)
        }
        // Downscaled: keep about one native token of context around the box.
        let usableW = Double(max(1, ww - 2 * s)), usableH = Double(max(1, wh - 2 * s))
        let factor = max(1, Double(box.width) / usableW, Double(box.height) / usableH)
        let width = Int((Double(ww) * factor).rounded(.up))
        let scale = Double(ww) / Double(width)
        let height = max(box.height, Int((Double(wh) / scale).rounded()))
        func place(lo: Int, hi: Int, extent: Int, size: Int) -> Int {
            let centred = (lo + hi) / 2 - size / 2
            return size <= extent ? min(extent - size, max(0, centred)) : min(lo, max(hi - size, centred))
        }
        return ContextWindow(x: place(lo: box.x, hi: box.maxX, extent: imageWidth, size: width),
                             y: place(lo: box.y, hi: box.maxY, extent: imageHeight, size: height),
                             width: width, height: height, scale: scale)
    }
}
