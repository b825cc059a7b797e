// Pooling: the VQGAN encoder's downsample and the decoder's upsample (maskgit nets/layers.py
// `dsample` = tensorflow_style_avg_pooling(x, (2, 2), (2, 2), 'same'), `upsample` =
// jax.image.resize(..., 'nearest')).
//
// Legend: H, W input extents, Ho = ⌈H/2⌉, Wo = ⌈W/2⌉, C channels.
//
// 'SAME' at window 2, stride 2 pads nothing on even sizes and one row (column) after the map
// on odd sizes. The upstream code divides the window sum by the number of *valid* elements
// (a reduce_window over ones), so on an odd size the last window averages only what it
// covers: the last output row of a 3-row map is the input's third row itself.

extension Ops {
    /// 2x2 average pool, stride 2, TF 'SAME': x [H, W, C] → [⌈H/2⌉, ⌈W/2⌉, C].
    public static func avgPool2x2(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3, "avgPool2x2: need [H, W, C], got \(x.shape)")
        let h = x.shape[0], w = x.shape[1], c = x.shape[2]
        let ho = (h + 1) / 2, wo = (w + 1) / 2
        var out = Tensor(uninitialized: [ho, wo, c])  // [Ho, Wo, C], every element written below
        guard out.count > 0 else { return out }
        x.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                Parallel.forEachRange(ho, minimumChunk: max(1, elementwiseChunk / max(1, 4 * w * c))) { rows in
                    for oy in rows {
                        let y0 = 2 * oy, y1 = min(2 * oy + 1, h - 1)
                        for ox in 0..<wo {
                            let x0 = 2 * ox, x1 = min(2 * ox + 1, w - 1)
                            // Window corners; on an odd edge a corner repeats, so count it once.
                            let count = Float((y1 - y0 + 1) * (x1 - x0 + 1))
                            let inverse = 1 / count
                            let o = dst.baseAddress! + (oy * wo + ox) * c
                            let a = src.baseAddress! + (y0 * w + x0) * c
                            let b = src.baseAddress! + (y0 * w + x1) * c
                            let d = src.baseAddress! + (y1 * w + x0) * c
                            let e = src.baseAddress! + (y1 * w + x1) * c
                            if x1 > x0 && y1 > y0 {
                                for j in 0..<c { o[j] = (a[j] + b[j] + d[j] + e[j]) * inverse }
                            } else if x1 > x0 {
                                for j in 0..<c { o[j] = (a[j] + b[j]) * inverse }
                            } else if y1 > y0 {
                                for j in 0..<c { o[j] = (a[j] + d[j]) * inverse }
                            } else {
                                o.update(from: a, count: c)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Nearest-neighbour 2x upsampling (pixel replication): x [H, W, C] → [2H, 2W, C].
    public static func upsampleNearest2x(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3, "upsampleNearest2x: need [H, W, C], got \(x.shape)")
        let h = x.shape[0], w = x.shape[1], c = x.shape[2]
        var out = Tensor(uninitialized: [2 * h, 2 * w, c])  // [2H, 2W, C], every element written below
        guard out.count > 0 else { return out }
        x.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                Parallel.forEachRange(h, minimumChunk: max(1, elementwiseChunk / max(1, 4 * w * c))) { rows in
                    for y in rows {
                        let top = dst.baseAddress! + (2 * y) * (2 * w) * c  // output row 2y
                        for x in 0..<w {
                            let pixel = src.baseAddress! + (y * w + x) * c
                            (top + (2 * x) * c).update(from: pixel, count: c)
                            (top + (2 * x + 1) * c).update(from: pixel, count: c)
                        }
                        // Output row 2y + 1 repeats row 2y.
                        (top + 2 * w * c).update(from: top, count: 2 * w * c)
                    }
                }
            }
        }
        return out
    }
}
