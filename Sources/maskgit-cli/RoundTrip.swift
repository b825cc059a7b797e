// `maskgit-cli roundtrip IN OUT`: decode an image (PNG, WebP or JPEG, sniffed from its bytes) and
// encode it again in the format OUT's extension names.

import ArgumentParser
import Foundation
import ImageCodecs

struct RoundTrip: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roundtrip",
        abstract: "Decode an image and encode it again (PNG, WebP or JPEG; the output format follows the extension)."
    )

    @Argument(help: "Input image (PNG, WebP or JPEG; the format is read from the bytes).")
    var input: String

    @Argument(help: "Output path ending in .png, .webp, .jpg or .jpeg.")
    var output: String

    @Option(help: "WebP quality 0...100 for lossy output (omit for lossless); JPEG quality 1...100 (default 90).")
    var quality: Float?

    @Option(help: "Largest accepted image in pixels.")
    var maxPixels: Int = DecodeLimits.default.maxPixels

    func run() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        let start = Date()
        let image = try ImageDecoder.decode(bytes, limits: DecodeLimits(maxPixels: maxPixels))
        let encoding: ImageEncoding
        switch ImageFormat.fromExtension(of: output) {
        case .png: encoding = .png
        case .webp: encoding = .webp(quality.map { .lossy($0) } ?? .lossless)
        case .jpeg: encoding = .jpeg(quality: quality.map { Int($0.rounded()) } ?? JPEGEncoder.defaultQuality)
        case nil: throw ValidationError("the output must end in .png, .webp, .jpg or .jpeg")
        }
        let encoded = try ImageEncoder.encode(image, as: encoding)
        try Data(encoded).write(to: URL(fileURLWithPath: output), options: .atomic)
        let format = ImageFormat.sniff(bytes)?.description ?? "?"
        let millis = Int(Date().timeIntervalSince(start) * 1000)
        print("\(input): \(format) \(image.width)x\(image.height) \(image.hasAlpha ? "RGBA" : "RGB"), \(bytes.count) bytes")
        print("\(output): \(encoding.format) \(encoded.count) bytes (\(millis) ms)")
    }
}
