import Foundation
import JSONRPC
import Sessions
import XCTest

/// Issue 13 and 14 through the real executable: a request never kills the process, `exit` in a
/// batch ends it with stdin still open, and SIGINT behaves like SIGTERM.
final class ReliabilityProcessTests: XCTestCase {
    typealias Server = ServerProcessTests.Server

    func testOverflowingRectanglesGetAnErrorAndTheServerLives() throws {
        let server = try Server(arguments: ["--model", ServerProcessTests.tinyModel, "--quiet"])
        let png = try ServerProcessTests.pngBase64()
        server.send(#"{"jsonrpc":"2.0","id":1,"method":"inpaint","params":{"image":"\#(png)","class":0,"mask":{"rects":[{"x":9223372036854775807,"y":0,"width":1,"height":1}]}}}"#)
        server.send(#"{"jsonrpc":"2.0","id":2,"method":"classEdit","params":{"image":"\#(png)","class":0,"rect":{"x":9223372036854775807,"y":9223372036854775807,"width":2147483647,"height":2147483647}}}"#)
        server.send(#"{"jsonrpc":"2.0","id":3,"method":"inpaint","params":{"image":"\#(png)","class":0,"steps":1,"mask":{"rects":[{"x":-9223372036854775807,"y":-9223372036854775807,"width":2147483647,"height":2147483647}]},"output":{"transport":"none"}}}"#)
        XCTAssertEqual(server.response(id: "1").0?.objectValue?["error"]?.objectValue?["code"], .int(-32602))
        XCTAssertEqual(server.response(id: "2").0?.objectValue?["error"]?.objectValue?["code"], .int(-32602))
        XCTAssertEqual(server.response(id: "3").0?.objectValue?["error"]?.objectValue?["code"], .int(-32602), "far left: no overlap")
        server.send(#"{"jsonrpc":"2.0","id":4,"method":"ping"}"#)
        XCTAssertNotNil(server.response(id: "4").0?.objectValue?["result"])
        server.closeInput()
        XCTAssertEqual(server.waitForExit(), 0)
    }

    /// Waits for the process to end; a hang is killed (SIGKILL: a deadlocked server ignored
    /// SIGTERM too) and fails the test.
    private func exitStatus(_ server: Server, file: StaticString = #filePath, line: UInt = #line) -> Int32? {
        let deadline = Date().addingTimeInterval(60)
        while server.process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard !server.process.isRunning else {
            kill(server.process.processIdentifier, SIGKILL)
            XCTFail("the server did not exit", file: file, line: line)
            return nil
        }
        return server.process.terminationStatus
    }

    func testExitInABatchEndsTheProcessWhileStdinStaysOpen() throws {
        let server = try Server(arguments: ["--model", ServerProcessTests.tinyModel, "--quiet"])
        server.send(#"[{"jsonrpc":"2.0","id":1,"method":"shutdown"},{"jsonrpc":"2.0","id":2,"method":"exit"}]"#)
        XCTAssertEqual(server.next(timeout: 60)?.compactText, #"[{"jsonrpc":"2.0","id":1,"result":null},{"jsonrpc":"2.0","id":2,"result":null}]"#)
        XCTAssertEqual(exitStatus(server), 0)   // stdin is never closed
    }

    func testSIGINTCancelsTheRunningRequestAnswersTheQueuedOnesAndExitsZero() throws {
        let server = try Server(arguments: ["--model", ServerProcessTests.tinyModel, "--quiet"])
        let png = try ServerProcessTests.pngBase64()
        server.send(#"{"jsonrpc":"2.0","id":1,"method":"outpaint","params":{"image":"\#(png)","class":1,"right":4000,"output":{"transport":"none"},"_meta":{"progressToken":1}}}"#)
        XCTAssertEqual(server.next()?.objectValue?["method"], .string("notifications/progress"))
        server.send(#"{"jsonrpc":"2.0","id":2,"method":"generate","params":{"class":1}}"#)
        server.send(#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#)
        XCTAssertNotNil(server.response(id: "3").0, "2 is queued by now: 3 is read after it")
        kill(server.process.processIdentifier, SIGINT)
        var answers: [String: JSONValue] = [:]
        while let message = server.next(timeout: 120) {
            if let id = message.objectValue?["id"]?.compactText { answers[id] = message }
        }
        for id in ["1", "2"] {
            XCTAssertEqual(answers[id]?.objectValue?["error"]?.objectValue?["code"], .int(-32800), "request \(id)")
        }
        XCTAssertEqual(exitStatus(server), 0)
        XCTAssertEqual(server.process.terminationReason, .exit)
    }
}
