// FakeTokenizer: stride 4; a token is the block's mean colour quantised to 4 levels per
// channel (id = 16 r + 4 g + b, 64 codes); decode paints flat blocks of the level's centre.

@testable import Editing

struct FakeTokenizer: ImageTokenizer {
    var tokenStride = 4
    var nativeSize = 32

    func encode(_ image: PixelBuffer) throws -> TokenGrid {
        let s = tokenStride
        precondition(image.width % s == 0 && image.height % s == 0)
        var grid = TokenGrid(width: image.width / s, height: image.height / s)
        for r in 0..<grid.height {
            for c in 0..<grid.width {
                var sum: [Float] = [0, 0, 0]
                for y in (r * s)..<((r + 1) * s) {
                    for x in (c * s)..<((c + 1) * s) {
                        for k in 0..<3 { sum[k] += image.samples[(y * image.width + x) * 3 + k] }
                    }
                }
                let levels = sum.map { min(3, max(0, Int($0 / Float(s * s) * 4))) }
                grid[r, c] = Int32(levels[0] * 16 + levels[1] * 4 + levels[2])
            }
        }
        return grid
    }

    func decode(_ grid: TokenGrid) throws -> PixelBuffer {
        let s = tokenStride
        var out = PixelBuffer(width: grid.width * s, height: grid.height * s)
        for y in 0..<out.height {
            for x in 0..<out.width {
                let t = Int(grid[y / s, x / s])
                let levels = [t / 16, (t / 4) % 4, t % 4]
                for k in 0..<3 { out.samples[(y * out.width + x) * 3 + k] = (Float(levels[k]) + 0.5) / 4 }
            }
        }
        return out
    }
}

/// A deterministic test image with varied content.
func testImage(width: Int, height: Int, layout: RGBImage.Layout = .rgb, seed: UInt64 = 1) -> RGBImage {
    var image = RGBImage(width: width, height: height, layout: layout)
    let source = RandomSource(seed: seed)
    for i in image.pixels.indices { image.pixels[i] = UInt8(truncatingIfNeeded: source.uint64(at: i) >> 56) }
    return image
}

import ImageCodecs
