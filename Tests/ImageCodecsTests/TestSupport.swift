// Helpers for the codec tests: a seeded random source, PNG sample packing, PNG chunk surgery
// (with CRC-32 recomputation) and a hand-built animated WebP.

import XCTest
@testable import ImageCodecs

/// SplitMix64: a tiny seeded generator, so every test image is the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}

/// A random RGB or RGBA image; with `transparentPixels`, every 5th alpha is 0 (RGB under it
/// stays random, which lossless WebP must keep).
func randomImage(width: Int, height: Int, layout: RGBImage.Layout, seed: UInt64) -> RGBImage {
    var image = RGBImage(width: width, height: height, layout: layout)
    image.pixels = randomBytes(width * height * layout.rawValue, seed: seed)
    if layout == .rgba {
        for pixel in stride(from: 0, to: width * height, by: 5) { image.pixels[pixel * 4 + 3] = 0 }
    }
    return image
}

/// A smooth image (gradients plus a soft blob) that lossy codecs should reproduce closely.
func smoothImage(width: Int, height: Int, layout: RGBImage.Layout) -> RGBImage {
    var image = RGBImage(width: width, height: height, layout: layout)
    for y in 0..<height {
        for x in 0..<width {
            let index = (y * width + x) * layout.rawValue
            let dx = Double(x - width / 2), dy = Double(y - height / 2)
            let blob = 255 * exp(-(dx * dx + dy * dy) / Double(width * height / 4))
            image.pixels[index] = UInt8(x * 255 / max(width - 1, 1))
            image.pixels[index + 1] = UInt8(y * 255 / max(height - 1, 1))
            image.pixels[index + 2] = UInt8(blob.rounded())
            if layout == .rgba { image.pixels[index + 3] = UInt8((x + y) * 255 / (width + height - 2)) }
        }
    }
    return image
}

/// Packs one row of samples (values in file units) as PNG stores them: MSB-first bits below 8,
/// big-endian at 16.
func packRow(_ samples: [Int], bitDepth: Int) -> [UInt8] {
    switch bitDepth {
    case 16:
        return samples.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    case 8:
        return samples.map { UInt8($0) }
    default:
        var row = [UInt8](repeating: 0, count: (samples.count * bitDepth + 7) / 8)
        for (index, sample) in samples.enumerated() {
            let bit = index * bitDepth
            row[bit / 8] |= UInt8(sample << (8 - bitDepth - bit % 8))
        }
        return row
    }
}

/// A sample in file units scaled to 8 bits the way the decoder documents: low depths by
/// replication (v * 255 / max), 16-bit by rounding v * 255 / 65535.
func scaledTo8(_ value: Int, bitDepth: Int) -> UInt8 {
    switch bitDepth {
    case 16: UInt8((value * 255 + 32767) / 65535)
    default: UInt8(value * 255 / ((1 << bitDepth) - 1))
    }
}

// MARK: PNG chunks

/// CRC-32 (ISO 3309, as PNG uses it) over `bytes`.
func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
    }
    return ~crc
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

func littleEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
}

/// One chunk of a PNG file: its type and where its data lies in the file.
struct PNGChunk {
    var type: String
    var offset: Int
    var dataRange: Range<Int>
}

func pngChunks(_ file: [UInt8]) -> [PNGChunk] {
    var chunks: [PNGChunk] = []
    var offset = 8
    while offset + 12 <= file.count {
        let length = Int(file[offset]) << 24 | Int(file[offset + 1]) << 16
            | Int(file[offset + 2]) << 8 | Int(file[offset + 3])
        let type = String(decoding: file[(offset + 4)..<(offset + 8)], as: UTF8.self)
        chunks.append(PNGChunk(type: type, offset: offset, dataRange: (offset + 8)..<(offset + 8 + length)))
        offset += 12 + length
    }
    return chunks
}

/// `file` with its IHDR data rewritten by `edit` and the CRC recomputed, so that libpng gets
/// past the CRC check and judges the contents.
func rewritingIHDR(_ file: [UInt8], _ edit: (inout [UInt8]) -> Void) -> [UInt8] {
    var output = file
    var data = Array(file[16..<29])
    edit(&data)
    output.replaceSubrange(16..<29, with: data)
    output.replaceSubrange(29..<33, with: bigEndian(crc32(Array("IHDR".utf8) + data)))
    return output
}

/// A chunk with length and CRC.
func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    bigEndian(UInt32(data.count)) + Array(type.utf8) + data + bigEndian(crc32(Array(type.utf8) + data))
}

// MARK: WebP

/// A RIFF chunk: fourcc, little-endian size, data, pad byte to even length.
func riffChunk(_ fourCC: String, _ data: [UInt8]) -> [UInt8] {
    Array(fourCC.utf8) + littleEndian(UInt32(data.count)) + data + (data.count % 2 == 1 ? [0] : [])
}

func riffFile(_ chunks: [UInt8]) -> [UInt8] {
    Array("RIFF".utf8) + littleEndian(UInt32(4 + chunks.count)) + Array("WEBP".utf8) + chunks
}

/// A two-frame animated WebP built by hand (VP8X with the animation flag, ANIM, two ANMF frames
/// each holding the VP8L chunk of `frame`), since libwebp's plain encoder writes stills only.
func animatedWebP(frame: [UInt8], width: Int, height: Int) -> [UInt8] {
    // The still file is RIFF header (12 bytes) + one VP8L chunk.
    let frameChunk = Array(frame[12...])
    func u24(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF)] }
    // VP8X flags: 0x02 animation, 0x10 alpha.
    let vp8x = riffChunk("VP8X", [0x12, 0, 0, 0] + u24(width - 1) + u24(height - 1))
    let anim = riffChunk("ANIM", [0, 0, 0, 0, 0, 0])  // background colour, loop forever
    // ANMF: x/2, y/2, width-1, height-1 (24-bit each), duration (24-bit), flags, frame data.
    let anmf = riffChunk("ANMF", u24(0) + u24(0) + u24(width - 1) + u24(height - 1) + u24(100) + [0] + frameChunk)
    return riffFile(vp8x + anim + anmf + anmf)
}

/// Asserts that `body` throws exactly `expected`.
func XCTAssertThrowsCodecError<T>(
    _ expected: ImageCodecError, _ context: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line,
    _ body: () throws(ImageCodecError) -> T
) {
    do {
        _ = try body()
        XCTFail("expected \(expected), got success. \(context())", file: file, line: line)
    } catch {
        XCTAssertEqual(error, expected, context(), file: file, line: line)
    }
}
