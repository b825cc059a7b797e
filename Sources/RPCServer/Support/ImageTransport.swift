// Images in and out of the protocol: base64 (data-URL prefix tolerated) or file paths confined to
// allowed roots and opened by descriptor; output written atomically (temporary file, then
// rename). See ConfinedFiles.swift.

import Foundation
import ImageCodecs
import JSONRPC
import Sessions

/// Where the server may read and write files, and how large images and image files may be.
public struct ImagePolicy: Sendable {
    /// Absolute, standardized directories with symbolic links resolved; a path must lie inside one.
    public var allowedRoots: [URL]
    /// The roots as given (absolute, standardized), matched as well as the resolved forms.
    var givenRoots: [String]
    public var limits: DecodeLimits
    /// Largest image file read from a path, checked (fstat) before it is read.
    public var maxFileBytes: Int
    /// What relative paths are relative to: the server's working directory.
    public var workingDirectory: String

    public init(allowedRoots: [URL], limits: DecodeLimits = DecodeLimits(maxPixels: 16 << 20), maxFileBytes: Int = 256 << 20,
                workingDirectory: String = FileManager.default.currentDirectoryPath) {
        givenRoots = allowedRoots.map { $0.standardizedFileURL.path }
        self.allowedRoots = allowedRoots.map { $0.standardizedFileURL.resolvingSymlinksInPath() }
        self.limits = limits
        self.maxFileBytes = maxFileBytes
        self.workingDirectory = workingDirectory
    }

    /// Checks that `path` (absolute, or relative to the working directory) lies lexically
    /// inside a root; the file is then opened only by descriptor from that root
    /// (`ConfinedFiles`), never by name.
    func confined(_ path: String, field: String) throws(AppError) -> ConfinedPath {
        guard !allowedRoots.isEmpty else {
            throw AppError(.pathNotAllowed, "File paths are disabled (no --allow-root)", details: ["field": .string(field)])
        }
        return try ConfinedFiles.confine(path, workingDirectory: workingDirectory,
                                         roots: zip(givenRoots, allowedRoots).map { ($0, $1.path) }, field: field)
    }

    /// Reads an image reference: `"base64..."`, `"data:image/png;base64,..."`,
    /// `{"data": "..."}` or `{"path": "..."}`.
    public func readImage(_ value: JSONValue, field: String) throws(AppError) -> RGBImage {
        let bytes: [UInt8]
        switch value {
        case .string(let text):
            bytes = try decodeBase64(text, field: field)
        case .object(let object):
            let p = Params(object, path: field)
            if let data = try p.string("data") {
                bytes = try decodeBase64(data, field: p.field("data"))
            } else if let path = try p.string("path") {
                bytes = try ConfinedFiles.read(try confined(path, field: p.field("path")), field: p.field("path"), maxBytes: maxFileBytes)
            } else {
                throw AppError.invalidParams(field: field, expected: "an object with \"data\" (base64) or \"path\"")
            }
        default:
            throw AppError.invalidParams(field: field, expected: "a base64 string or an object with \"data\" or \"path\"", got: value.typeName)
        }
        do {
            return try ImageDecoder.decode(bytes, limits: limits)
        } catch {
            if case .dimensionsOverLimit(_, let w, let h, _) = error {
                throw AppError(.limitExceeded, "Image \(w)x\(h) exceeds the limit of \(limits.maxPixels) pixels",
                                       details: ["field": .string(field), "limit": .int(limits.maxPixels), "got": .int(w * h)])
            }
            throw AppError(.imageDecodeFailed, "Cannot decode \(field): \(error)",
                                   details: ["field": .string(field), "detail": .string("\(error)")])
        }
    }

    private func decodeBase64(_ text: String, field: String) throws(AppError) -> [UInt8] {
        var payload = Substring(text)
        if payload.hasPrefix("data:") {
            guard let comma = payload.firstIndex(of: ",") else {
                throw AppError.invalidParams(field: field, expected: "a data URL with a comma before the payload")
            }
            guard payload[..<comma].hasSuffix(";base64") else {
                throw AppError.invalidParams(field: field, expected: "a base64 data URL (\";base64,\")")
            }
            payload = payload[payload.index(after: comma)...]
        }
        guard let data = Data(base64Encoded: String(payload), options: .ignoreUnknownCharacters), !data.isEmpty else {
            throw AppError(.imageDecodeFailed, "\(field) is not valid base64", details: ["field": .string(field)])
        }
        return Array(data)
    }
}

/// How a result image goes back to the client.
public struct ImageOutput: Sendable {
    /// `none` returns no image (useful for session edits; `session.export` fetches it later).
    public typealias Transport = ImageTransportName

    public var transport: Transport = .base64
    public var encoding: ImageEncoding = .png
    var path: ConfinedPath?

    public init() {}

    /// The members of `output`.
    public static let keys = ["transport", "format", "quality", "path"]

    /// Parses `output: {transport, format, quality, path}`.
    ///
    /// The format is `format` when given, else the one the path's extension names (.png,
    /// .webp, .jpg/.jpeg), else PNG. A `format` that contradicts the extension, or a path whose
    /// extension names no format when `format` is absent, is an error: the server never picks
    /// a format the request did not ask for.
    public init(_ params: Params?, policy: ImagePolicy) throws(AppError) {
        guard let params else { return }
        try params.rejectUnknown(Set(Self.keys))
        let quality = try params.double("quality", in: RequestBounds.quality)
        let requested: ImageFormat?
        switch try params.string("format") {
        case nil: requested = nil
        case let name?:
            guard let format = ImageFormat(wireName: name) else { throw AppError.unknownName(ImageFormat.self, field: params.field("format"), got: name) }
            requested = format
        }
        var format = requested ?? .png
        if let path = try params.string("path") {
            transport = .path
            self.path = try policy.confined(path, field: params.field("path"))
            let named = ImageFormat.fromExtension(of: path)
            switch (requested, named) {
            case (let r?, let n?) where r != n:
                throw AppError.invalidParams(
                    field: params.field("format"), expected: "the format the path's extension names (\(n.rawValue))",
                    got: r.rawValue, detail: "output.path \(path) ends in a \(n) extension but output.format is \(r.rawValue)")
            case (nil, nil):
                throw AppError.invalidParams(
                    field: params.field("path"), expected: "a path ending in .png, .webp, .jpg or .jpeg, or an output.format",
                    got: path)
            case (_, let n?): format = n
            case (let r?, nil): format = r
            }
        }
        switch format {
        case .png:
            encoding = .png
        case .webp:
            encoding = .webp(quality.map { .lossy(Float($0)) } ?? .lossless)
        case .jpeg:
            let q = quality.map { Int($0.rounded()) } ?? JPEGEncoder.defaultQuality
            guard q >= 1 else {
                throw AppError.invalidParams(field: params.field("quality"), expected: "a JPEG quality in 1...100", got: String(q))
            }
            encoding = .jpeg(quality: q)
        }
        if let t = try params.string("transport") {
            guard let parsed = Transport(rawValue: t) else { throw AppError.unknownName(Transport.self, field: params.field("transport"), got: t) }
            transport = parsed
        }
        if transport == .path, path == nil {
            throw AppError.invalidParams(field: params.field("path"), expected: "a path when transport is \"path\"")
        }
    }

    /// Encodes `image` and returns its JSON description (with `data` or `path`).
    public func deliver(_ image: RGBImage) throws(AppError) -> JSONValue {
        let bytes: [UInt8]
        do { bytes = try ImageEncoder.encode(image, as: encoding) } catch {
            if case .invalidImage(let format, let reason) = error {
                // A request the format cannot carry (JPEG and a transparent image): the
                // client's to fix, so invalid params rather than an internal error.
                throw AppError.invalidParams(field: "output.format", expected: "a format that can hold this image",
                                                got: format.rawValue, detail: reason)
            }
            throw AppError(.internal, "Encoding the result failed: \(error)")
        }
        var object: JSONObject = [
            "mediaType": .string(encoding.format.mimeType),
            "width": .int(image.width), "height": .int(image.height),
            "channels": .int(image.channels), "bytes": .int(bytes.count),
        ]
        switch transport {
        case .base64:
            object["data"] = .string(Data(bytes).base64EncodedString())
        case .none:
            break
        case .path:
            guard let path else { throw AppError.invalidParams(field: "output.path", expected: "a path") }
            try ConfinedFiles.write(bytes, to: path, field: "output.path")
            object["path"] = .string(path.path)
        }
        return .object(object)
    }
}
