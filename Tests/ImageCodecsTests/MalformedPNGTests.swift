// Malformed PNG corpus, generated from valid files: every case must throw its specific error
// and none may crash (libpng errors are caught in C by PNGShim).

import XCTest
@testable import ImageCodecs

final class MalformedPNGTests: XCTestCase {
    /// A valid RGBA file: IHDR, IDAT, IEND.
    lazy var rgbaFile: [UInt8] = {
        let image = randomImage(width: 16, height: 16, layout: .rgba, seed: 7)
        do { return try PNGEncoder.encode(image) } catch { XCTFail("\(error)"); return [] }
    }()

    /// A valid palette file with tRNS: IHDR, PLTE, tRNS, IDAT, IEND.
    lazy var paletteFile: [UInt8] = {
        let raw = PNGRawImage(
            width: 9, height: 5, bitDepth: 4, colorType: .palette, interlaced: true,
            rows: randomBytes(25, seed: 3), rowStride: 5,
            palette: randomBytes(48, seed: 4), paletteAlpha: [0, 128, 255])
        do { return try raw.encode() } catch { XCTFail("\(error)"); return [] }
    }()

    /// Offsets 0...63 one by one, then every 7th to the end (exclusive).
    func truncationLengths(_ count: Int) -> [Int] {
        Array(0..<min(64, count)) + Array(stride(from: 64, to: count, by: 7))
    }

    func testTruncationsAtManyOffsets() {
        for file in [rgbaFile, paletteFile] {
            XCTAssertNoThrow(try PNGDecoder.decode(file))
            for length in truncationLengths(file.count) {
                let cut = Array(file.prefix(length))
                let expected: ImageCodecError = length == 0 ? .emptyInput : .truncated(.png)
                XCTAssertThrowsCodecError(expected, "cut at \(length) of \(file.count)") {
                    () throws(ImageCodecError) in try ImageDecoder.decode(cut)
                }
            }
        }
    }

    func testFlippedChunkDataBytesAreCRCErrors() {
        for file in [rgbaFile, paletteFile] {
            let chunks = pngChunks(file)
            XCTAssertEqual(chunks.last?.type, "IEND")
            for chunk in chunks where !chunk.dataRange.isEmpty {
                // Every byte of small chunks, about 40 spread over IDAT.
                let step = max(1, chunk.dataRange.count / 40)
                for offset in stride(from: chunk.dataRange.lowerBound, to: chunk.dataRange.upperBound, by: step) {
                    var damaged = file
                    damaged[offset] ^= 0x5A
                    XCTAssertThrowsCodecError(.badCRC(chunk: chunk.type), "byte \(offset) in \(chunk.type)") {
                        () throws(ImageCodecError) in try ImageDecoder.decode(damaged)
                    }
                }
            }
        }
    }

    func testFlippedCRCByteIsCRCError() {
        var damaged = rgbaFile
        let idat = pngChunks(damaged)[1]
        damaged[idat.dataRange.upperBound + 2] ^= 0x01
        XCTAssertThrowsCodecError(.badCRC(chunk: "IDAT")) { () throws(ImageCodecError) in
            try PNGDecoder.decode(damaged)
        }
    }

    func testCorruptedSignatureIsUnknownFormat() {
        var damaged = rgbaFile
        damaged[1] = 0x51  // 'P' -> 'Q'
        let hex = ImageCodecError.hexPrefix(damaged)
        XCTAssertTrue(hex.hasPrefix("89 51 4e 47 0d 0a 1a 0a 00 00 00 0d 49 48 44 52"), hex)
        XCTAssertThrowsCodecError(.unknownFormat(leadingBytes: hex)) { () throws(ImageCodecError) in
            try ImageDecoder.decode(damaged)
        }
        // Through the PNG decoder directly, too.
        XCTAssertThrowsCodecError(.unknownFormat(leadingBytes: hex)) { () throws(ImageCodecError) in
            try PNGDecoder.decode(damaged)
        }
    }

    func testZeroWidthAndHeight() {
        let zeroWidth = rewritingIHDR(rgbaFile) { $0.replaceSubrange(0..<4, with: bigEndian(0)) }
        XCTAssertThrowsCodecError(.zeroDimensions(.png, width: 0, height: 16)) { () throws(ImageCodecError) in
            try ImageDecoder.decode(zeroWidth)
        }
        let zeroHeight = rewritingIHDR(rgbaFile) { $0.replaceSubrange(4..<8, with: bigEndian(0)) }
        XCTAssertThrowsCodecError(.zeroDimensions(.png, width: 16, height: 0)) { () throws(ImageCodecError) in
            try ImageDecoder.decode(zeroHeight)
        }
    }

    /// 100000 x 100000 RGBA would need 40 GB; the header check must refuse it first. Over
    /// maxWidth, libpng's user limit stops it inside png_read_info.
    func testHugeIHDRIsOverLimitWithoutAllocating() {
        let huge = rewritingIHDR(rgbaFile) { data in
            data.replaceSubrange(0..<8, with: bigEndian(100_000) + bigEndian(100_000))
        }
        XCTAssertThrowsCodecError(
            .dimensionsOverLimit(.png, width: 100_000, height: 100_000, limits: .default)
        ) { () throws(ImageCodecError) in try ImageDecoder.decode(huge) }
    }

    /// 60000 x 60000 is within maxWidth/maxHeight but over maxPixels: the Swift-side check.
    func testPixelCountOverLimit() {
        let big = rewritingIHDR(rgbaFile) { data in
            data.replaceSubrange(0..<8, with: bigEndian(60_000) + bigEndian(60_000))
        }
        XCTAssertThrowsCodecError(
            .dimensionsOverLimit(.png, width: 60_000, height: 60_000, limits: .default)
        ) { () throws(ImageCodecError) in try ImageDecoder.decode(big) }

        let tight = DecodeLimits(maxPixels: 255)
        XCTAssertThrowsCodecError(
            .dimensionsOverLimit(.png, width: 16, height: 16, limits: tight)
        ) { () throws(ImageCodecError) in try ImageDecoder.decode(rgbaFile, limits: tight) }
        XCTAssertNoThrow(try ImageDecoder.decode(rgbaFile, limits: DecodeLimits(maxPixels: 256)))
        let narrow = DecodeLimits(maxWidth: 15)
        XCTAssertThrowsCodecError(
            .dimensionsOverLimit(.png, width: 16, height: 16, limits: narrow)
        ) { () throws(ImageCodecError) in try ImageDecoder.decode(rgbaFile, limits: narrow) }
    }

    func testInvalidIHDRFieldsAreCorruptData() {
        let badDepth = rewritingIHDR(rgbaFile) { $0[8] = 3 }
        XCTAssertThrowsCodecError(
            .corruptData(.png, message: "Invalid IHDR data (Invalid color type/bit depth combination in IHDR)")
        ) { () throws(ImageCodecError) in try ImageDecoder.decode(badDepth) }

        let over31Bits = rewritingIHDR(rgbaFile) { $0.replaceSubrange(0..<4, with: bigEndian(0x8000_0000)) }
        XCTAssertThrowsCodecError(
            .corruptData(.png, message: "PNG unsigned integer out of range")
        ) { () throws(ImageCodecError) in try ImageDecoder.decode(over31Bits) }
    }

    /// IDAT replaced by bytes that are not a zlib stream, with a valid CRC: libpng's zlib error.
    func testGarbageIDATWithValidCRCIsCorruptData() throws {
        let chunks = pngChunks(rgbaFile)
        let garbage = pngChunk("IDAT", randomBytes(200, seed: 99))
        let file = Array(rgbaFile[0..<chunks[1].offset]) + garbage + Array(rgbaFile[chunks[2].offset...])
        do {
            _ = try ImageDecoder.decode(file)
            XCTFail("garbage IDAT decoded")
        } catch {
            guard case .corruptData(.png, let message) = error else { return XCTFail("got \(error)") }
            XCTAssertTrue(message.hasPrefix("IDAT:"), message)
        }
    }

    func testMissingIHDRIsCorruptData() {
        let file = ImageFormat.pngSignature + pngChunk("IDAT", [1, 2, 3]) + pngChunk("IEND", [])
        XCTAssertThrowsCodecError(.corruptData(.png, message: "IDAT: Missing IHDR before IDAT")) {
            () throws(ImageCodecError) in try ImageDecoder.decode(file)
        }
    }

    func testBytesAfterIENDAreIgnored() throws {
        let padded = rgbaFile + [0, 1, 2, 3]
        XCTAssertEqual(try PNGDecoder.decode(padded), try PNGDecoder.decode(rgbaFile))
    }
}
