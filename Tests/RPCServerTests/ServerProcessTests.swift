import Foundation
import ImageCodecs
import JSONRPC
import Sessions
import TestSupport
import XCTest

/// Drives the real `maskgit-rpc` executable over pipes, with the tiny fixture model.
final class ServerProcessTests: XCTestCase {
    static let root = Fixtures.root
    static let tinyModel = Fixtures.tinyModel.path

    /// The executable built next to the test bundle; a missing one fails the test (clearly).
    static func binary() throws -> URL {
        try ServerProcess.binary(besides: Bundle(for: ServerProcessTests.self))
    }

    /// A running server with line-by-line access to its stdout (Tests/TestSupport).
    final class Server {
        let child: ServerProcess
        init(arguments: [String], readsOutput: Bool = true) throws {
            child = try ServerProcess(arguments: arguments, binary: try ServerProcessTests.binary(), readsOutput: readsOutput)
        }
        var process: Process { child.process }
        var stdout: Pipe { child.stdout }
        var stdin: Pipe { child.stdin }
        var stderr: Pipe { child.stderr }
        func send(_ line: String) { child.send(line) }
        func next(timeout: TimeInterval = 60) -> JSONValue? { child.next(timeout: timeout) }
        func response(id: String, timeout: TimeInterval = 120) -> (JSONValue?, [JSONValue]) { child.response(id: id, timeout: timeout) }
        func closeInput() { child.closeInput() }
        func waitForExit() -> Int32 { child.waitForExit() }
    }

    static func pngBase64(width: Int = 16, height: Int = 16) throws -> String {
        var image = RGBImage(width: width, height: height, layout: .rgb)
        for i in 0..<image.pixels.count { image.pixels[i] = UInt8((i * 37) % 251) }
        return Data(try PNGEncoder.encode(image)).base64EncodedString()
    }

    func testOneShotPipeAnswersOnceAndExitsZero() throws {
        let server = try Server(arguments: ["--model", Self.tinyModel, "--quiet"])
        server.send(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        server.closeInput()
        XCTAssertEqual(server.next()?.compactText, #"{"jsonrpc":"2.0","id":1,"result":{}}"#)
        XCTAssertNil(server.next(timeout: 5), "exactly one line")
        XCTAssertEqual(server.waitForExit(), 0)
    }

    func testSessionsAreBoundedWithLeastRecentlyUsedEviction() throws {
        let server = try Server(arguments: ["--model", Self.tinyModel, "--quiet", "--max-sessions", "2"])
        let png = try Self.pngBase64()
        for i in 1...2 { server.send(#"{"jsonrpc":"2.0","id":\#(i),"method":"session.open","params":{"image":"\#(png)"}}"#) }
        _ = server.response(id: "2")
        server.send(#"{"jsonrpc":"2.0","id":3,"method":"session.info","params":{"session":"s1"}}"#)  // s1 is now the most recent
        _ = server.response(id: "3")
        server.send(#"{"jsonrpc":"2.0","id":4,"method":"session.open","params":{"image":"\#(png)"}}"#)
        let (third, _) = server.response(id: "4")
        XCTAssertEqual(third?.objectValue?["result"]?.objectValue?["evictedSessions"], .array([.string("s2")]))
        server.send(#"{"jsonrpc":"2.0","id":5,"method":"session.info","params":{"session":"s2"}}"#)
        let (evicted, _) = server.response(id: "5")
        XCTAssertEqual(evicted?.objectValue?["error"]?.objectValue?["code"], .int(-32001))
        XCTAssertEqual(evicted?.objectValue?["error"]?.objectValue?["data"]?.objectValue?["reason"], .string("session_evicted"))
        server.send(#"{"jsonrpc":"2.0","id":6,"method":"session.info","params":{"session":"s1"}}"#)
        XCTAssertNotNil(server.response(id: "6").0?.objectValue?["result"])
        server.closeInput()
        XCTAssertEqual(server.waitForExit(), 0)
    }

    func testSIGTERMDuringALongEditExitsZero() throws {
        let server = try Server(arguments: ["--model", Self.tinyModel, "--quiet"])
        let png = try Self.pngBase64()
        server.send(#"{"jsonrpc":"2.0","id":1,"method":"outpaint","params":{"image":"\#(png)","class":1,"right":4000,"output":{"transport":"none"},"_meta":{"progressToken":1}}}"#)
        XCTAssertEqual(server.next()?.objectValue?["method"], .string("notifications/progress"))
        server.process.terminate()
        XCTAssertEqual(server.waitForExit(), 0)
        XCTAssertEqual(server.process.terminationReason, .exit)
    }

    func testBrokenStdoutEndsTheProcessWithoutACrash() throws {
        let server = try Server(arguments: ["--model", Self.tinyModel, "--quiet"], readsOutput: false)
        try server.stdout.fileHandleForReading.close()
        for i in 0..<50 { server.send(#"{"jsonrpc":"2.0","id":\#(i),"method":"ping"}"#) }
        server.closeInput()
        XCTAssertEqual(server.waitForExit(), 0)
        XCTAssertEqual(server.process.terminationReason, .exit, "not killed by SIGPIPE or a crash")
    }

    func testScriptedConversationWithProgressCancelUndoExport() throws {
        let server = try Server(arguments: ["--model", Self.tinyModel, "--quiet"])
        let png = try Self.pngBase64()
        server.send(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2026-11-29"}}"#)
        let (initialized, _) = server.response(id: "1")
        XCTAssertEqual(initialized?.objectValue?["result"]?.objectValue?["protocolVersion"], .string("2026-11-29"))

        server.send(#"{"jsonrpc":"2.0","id":2,"method":"session.open","params":{"image":"\#(png)"}}"#)
        let (opened, _) = server.response(id: "2")
        XCTAssertEqual(opened?.objectValue?["result"]?.objectValue?["id"], .string("s1"))

        server.send(#"{"jsonrpc":"2.0","id":3,"method":"inpaint","params":{"session":"s1","class":1,"seed":9,"mask":{"rects":[{"x":2,"y":2,"width":8,"height":8}]},"output":{"transport":"none"},"_meta":{"progressToken":"p3"}}}"#)
        let (inpainted, progress) = server.response(id: "3")
        XCTAssertEqual(inpainted?.objectValue?["result"]?.objectValue?["session"]?.objectValue?["revision"], .int(1))
        let values = progress.compactMap { $0.objectValue?["params"]?.objectValue?["progress"]?.doubleValue }
        XCTAssertEqual(values.count, 12, "one notification per decoding step")
        XCTAssertEqual(values, values.sorted())

        // A long edit (a 4000 px outpaint is hundreds of windows), cancelled mid-way.
        server.send(#"{"jsonrpc":"2.0","id":4,"method":"outpaint","params":{"session":"s1","class":2,"right":4000,"output":{"transport":"none"},"_meta":{"progressToken":"p4"}}}"#)
        var sawProgress = false
        while let message = server.next() {
            if message.objectValue?["method"] == .string("notifications/progress") { sawProgress = true; break }
        }
        XCTAssertTrue(sawProgress)
        server.send(#"{"jsonrpc":"2.0","id":5,"method":"session.info","params":{"session":"s1"}}"#)
        server.send(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":4}}"#)
        let (info, _) = server.response(id: "5")
        XCTAssertEqual(info?.objectValue?["result"]?.objectValue?["revision"], .int(1), "session info answered during the edit")
        let (cancelled, _) = server.response(id: "4")
        XCTAssertEqual(cancelled?.objectValue?["error"]?.objectValue?["code"], .int(-32800))

        server.send(#"{"jsonrpc":"2.0","id":6,"method":"session.undo","params":{"session":"s1","output":{"transport":"none"}}}"#)
        let (undone, _) = server.response(id: "6")
        XCTAssertEqual(undone?.objectValue?["result"]?.objectValue?["revision"], .int(0))
        XCTAssertEqual(undone?.objectValue?["result"]?.objectValue?["canRedo"], .bool(true))

        server.send(#"{"jsonrpc":"2.0","id":7,"method":"session.export","params":{"session":"s1"}}"#)
        let (exported, _) = server.response(id: "7")
        let data = exported?.objectValue?["result"]?.objectValue?["image"]?.objectValue?["data"]?.stringValue
        let decoded = try ImageDecoder.decode(Data(base64Encoded: try XCTUnwrap(data))!)
        XCTAssertEqual(decoded.width, 16)

        server.send(#"{"jsonrpc":"2.0","id":8,"method":"shutdown"}"#)
        let (shut, _) = server.response(id: "8")
        XCTAssertEqual(shut?.objectValue?["result"], .null)
        server.send(#"{"jsonrpc":"2.0","method":"exit"}"#)
        XCTAssertEqual(server.waitForExit(), 0)
    }

    func testMalformedInputsLeaveTheServerAndSessionsUsable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mgr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try Server(arguments: ["--model", Self.tinyModel, "--quiet", "--allow-root", dir.path, "--max-line-bytes", "100000"])
        let png = try Self.pngBase64()
        let wrongMask = try Self.pngBase64(width: 8, height: 8)
        server.send(#"{"jsonrpc":"2.0","id":"open","method":"session.open","params":{"image":"\#(png)"}}"#)
        XCTAssertNotNil(server.response(id: "open").0?.objectValue?["result"])

        // Each line and the error code and reason it must get.
        let corrupt = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]).base64EncodedString()
        let cases: [(String, String, Int, String?)] = [
            ("b1", "{not json", -32700, "parse_error"),
            ("b2", #"{"jsonrpc":"2.0","id":"b2","method":"nope"}"#, -32601, "method_not_found"),
            ("b3", #"{"jsonrpc":"2.0","id":"b3","method":"inpaint","params":{"session":5}}"#, -32602, "invalid_params"),
            ("b4", #"{"jsonrpc":"2.0","id":"b4","method":"inpaint","params":["x"]}"#, -32602, "invalid_params"),
            ("b5", #"{"jsonrpc":"2.0","id":"b5","method":"session.open","params":{"image":"\#(corrupt)"}}"#, -32003, "image_decode_failed"),
            ("b6", #"{"jsonrpc":"2.0","id":"b6","method":"inpaint","params":{"session":"s1","class":0,"mask":{"image":"\#(wrongMask)"}}}"#, -32004, "mask_size_mismatch"),
            ("b7", #"{"jsonrpc":"2.0","id":"b7","method":"session.open","params":{"image":{"path":"/etc/passwd"}}}"#, -32009, "path_not_allowed"),
            ("b8", #"{"jsonrpc":"2.0","id":"b8","method":"session.info","params":{"session":"s99"}}"#, -32001, "session_not_found"),
            ("b9", #"{"jsonrpc":"2.0","id":"b9","method":"inpaint","params":{"session":"s1","class":99,"mask":{"rects":[{"x":0,"y":0,"width":4,"height":4}]}}}"#, -32602, "invalid_params"),
            ("b10", #"{"jsonrpc":"2.0","id":"b10","method":"session.open","params":{"image":{"path":"../../etc/passwd"}}}"#, -32009, "path_not_allowed"),
            ("b11", #"{"jsonrpc":"2.0","id":"b11","method":"inpaint","params":{"session":"s1","class":0,"mask":{"rects":[]}}}"#, -32602, "invalid_params"),
            ("b12", #"{"jsonrpc":"2.0","id":"b12","method":"inpaint","params":{"session":"s1","class":0,"mask":{"rects":[{"x":0,"y":0,"width":4,"height":4}]},"typo":1}}"#, -32602, "invalid_params"),
        ]
        for (_, line, _, _) in cases { server.send(line) }
        server.send(#"{"jsonrpc":"2.0","id":"big","method":"ping","params":{"pad":""# + String(repeating: "x", count: 200_000) + #""}}"#)
        var answers: [String: JSONValue] = [:]
        var nullID: [JSONValue] = []
        while answers.count + nullID.count < cases.count + 1, let message = server.next(timeout: 60) {
            if case .string(let id)? = message.objectValue?["id"] { answers[id] = message } else { nullID.append(message) }
        }
        for (id, _, code, reason) in cases where id != "b1" {
            let error = answers[id]?.objectValue?["error"]?.objectValue
            XCTAssertEqual(error?["code"], .int(code), "\(id): \(answers[id]?.compactText ?? "no answer")")
            if let reason { XCTAssertEqual(error?["data"]?.objectValue?["reason"], .string(reason), id) }
        }
        let nullCodes = Set(nullID.compactMap { $0.objectValue?["error"]?.objectValue?["code"]?.intValue })
        XCTAssertEqual(nullCodes, [-32700, -32007], "parse error and oversize line, both with a null id")

        // Still alive, and the session still works.
        server.send(#"{"jsonrpc":"2.0","id":"after","method":"inpaint","params":{"session":"s1","class":0,"seed":1,"mask":{"rects":[{"x":0,"y":0,"width":4,"height":4}]},"output":{"path":"\#(dir.path)/out.png"}}}"#)
        let (after, _) = server.response(id: "after")
        XCTAssertEqual(after?.objectValue?["result"]?.objectValue?["session"]?.objectValue?["revision"], .int(1))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.png").path))
        server.closeInput()
        XCTAssertEqual(server.waitForExit(), 0)
    }
}
