// libFuzzer target for the image codecs (built by scripts/fuzz into one module with
// Sources/ImageCodecs and the system codec libraries; PNGShim and JPEGShim built with ASan).
//
// Oracles: no crash, no hang, no memory error (AddressSanitizer on the Swift side and the
// PNGShim), the pixel limit holds before allocation, and whatever decodes round-trips through
// the PNG encoder and decoder bit-exact.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let limits = DecodeLimits(maxPixels: 1 << 20)
    guard let image = try? ImageDecoder.decode(bytes, limits: limits) else { return 0 }
    guard image.width * image.height <= limits.maxPixels else { fatalError("pixel limit not enforced: \(image.width)x\(image.height)") }
    guard image.pixels.count == image.width * image.height * image.channels else { fatalError("pixel buffer size mismatch") }
    guard let png = try? ImageEncoder.encode(image, as: .png), let again = try? ImageDecoder.decode(png, limits: limits) else {
        fatalError("a decoded image does not round-trip through PNG")
    }
    guard again == image else { fatalError("PNG round trip changed the pixels") }
    return 0
}
