import Foundation
import ImageCodecs
import JSONRPC
import Sessions
import XCTest

/// JPEG through the real server: base64 and path input, output by format and by extension,
/// and the contradictions that must be errors rather than a silent choice.
final class JPEGServerTests: XCTestCase {
    func testJPEGInAndOutAndFormatContradictions() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mgj-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var photo = RGBImage(width: 24, height: 20, layout: .rgb)
        for i in 0..<photo.pixels.count { photo.pixels[i] = UInt8((i * 37) % 251) }
        let jpeg = try JPEGEncoder.encode(photo)
        try Data(jpeg).write(to: dir.appendingPathComponent("photo.jpg"))
        let base64 = Data(jpeg).base64EncodedString()
        let cut = Data(jpeg.prefix(jpeg.count / 2)).base64EncodedString()
        var rgba = RGBImage(width: 16, height: 16, layout: .rgba, filledWith: 200)
        rgba.pixels[3] = 0
        let transparent = Data(try PNGEncoder.encode(rgba)).base64EncodedString()

        let server = try ServerProcessTests.Server(arguments: ["--model", ServerProcessTests.tinyModel, "--quiet", "--allow-root", dir.path])
        let mask = #""mask":{"rects":[{"x":2,"y":2,"width":6,"height":6}]},"class":0,"seed":1"#
        let lines: [(String, String)] = [
            ("init", #"{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2026-11-29"}}"#),
            ("b64", #"{"jsonrpc":"2.0","id":"b64","method":"inpaint","params":{"image":"\#(base64)",\#(mask),"output":{"format":"jpeg","quality":80}}}"#),
            ("path", #"{"jsonrpc":"2.0","id":"path","method":"inpaint","params":{"image":{"path":"\#(dir.path)/photo.jpg"},\#(mask),"output":{"path":"\#(dir.path)/out.JPG"}}}"#),
            ("open", #"{"jsonrpc":"2.0","id":"open","method":"session.open","params":{"image":{"path":"\#(dir.path)/photo.jpg"}}}"#),
            ("export", #"{"jsonrpc":"2.0","id":"export","method":"session.export","params":{"session":"s1","output":{"path":"\#(dir.path)/export.jpeg"}}}"#),
            ("clash", #"{"jsonrpc":"2.0","id":"clash","method":"session.export","params":{"session":"s1","output":{"path":"\#(dir.path)/x.png","format":"jpeg"}}}"#),
            ("noext", #"{"jsonrpc":"2.0","id":"noext","method":"session.export","params":{"session":"s1","output":{"path":"\#(dir.path)/x.out"}}}"#),
            ("cut", #"{"jsonrpc":"2.0","id":"cut","method":"session.open","params":{"image":"\#(cut)"}}"#),
            ("alpha", #"{"jsonrpc":"2.0","id":"alpha","method":"inpaint","params":{"image":"\#(transparent)",\#(mask),"output":{"format":"jpeg"}}}"#),
            ("q0", #"{"jsonrpc":"2.0","id":"q0","method":"session.export","params":{"session":"s1","output":{"format":"jpeg","quality":0}}}"#),
        ]
        var answers: [String: JSONObject] = [:]
        for (id, line) in lines {
            server.send(line)
            answers[id] = server.response(id: id).0?.objectValue
        }
        let formats = answers["init"]?["result"]?.objectValue?["capabilities"]?.objectValue?["imageFormats"]?.objectValue
        XCTAssertEqual(formats?["input"], .array([.string("png"), .string("webp"), .string("jpeg")]))
        XCTAssertEqual(formats?["output"], .array([.string("png"), .string("webp"), .string("jpeg")]))

        let image = answers["b64"]?["result"]?.objectValue?["image"]?.objectValue
        XCTAssertEqual(image?["mediaType"], .string("image/jpeg"))
        let bytes = [UInt8](Data(base64Encoded: image?["data"]?.stringValue ?? "") ?? Data())
        XCTAssertEqual(ImageFormat.sniff(bytes), .jpeg)
        XCTAssertEqual(try ImageDecoder.decode(bytes).width, 24)

        for (id, file) in [("path", "out.JPG"), ("export", "export.jpeg")] {
            XCTAssertEqual(answers[id]?["result"]?.objectValue?["image"]?.objectValue?["mediaType"], .string("image/jpeg"), id)
            let written = [UInt8](try Data(contentsOf: dir.appendingPathComponent(file)))
            XCTAssertEqual(ImageFormat.sniff(written), .jpeg, id)
        }
        XCTAssertEqual(answers["open"]?["result"]?.objectValue?["width"], .int(24))

        let expected: [(String, Int, String)] = [
            ("clash", -32602, "output.format"), ("noext", -32602, "output.path"), ("cut", -32003, "image"),
            ("alpha", -32602, "output.format"), ("q0", -32602, "output.quality"),
        ]
        for (id, code, field) in expected {
            let error = answers[id]?["error"]?.objectValue
            XCTAssertEqual(error?["code"], .int(code), "\(id): \(String(describing: answers[id]))")
            XCTAssertEqual(error?["data"]?.objectValue?["field"], .string(field), id)
        }
        XCTAssertTrue(answers["cut"]?["error"]?.objectValue?["message"]?.stringValue?.contains("JPEG") == true)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.png").path))
        server.closeInput()
        XCTAssertEqual(server.waitForExit(), 0)
    }
}
