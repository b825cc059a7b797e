import Foundation
import JSONRPC
import Sessions
import Synchronization
import XCTest
@testable import RPCServer

/// Collects what the server writes, in order.
final class OutputLog: Sendable {
    private let lines = Mutex<[JSONValue]>([])
    func append(_ value: JSONValue) { lines.withLock { $0.append(value) } }
    var all: [JSONValue] { lines.withLock { $0 } }
    func responses(id: String) -> [JSONValue] {
        all.filter { $0.objectValue?["id"] == .number(id) }
    }
}

final class ServerCoreTests: XCTestCase {
    /// A slow method: `steps` steps of `stepMillis`, progress per step, stops when cancelled.
    static let slow = ClosureMethod("slow") { params, context throws(AppError) in
        let steps = try params.int("steps") ?? 5
        let stepMillis = try params.int("stepMillis") ?? 20
        for step in 0..<steps {
            try context.checkCancelled(stage: "decoding", completedSteps: step)
            Thread.sleep(forTimeInterval: Double(stepMillis) / 1000)
            context.progress?.report(progress: Double(step + 1), total: Double(steps))
        }
        return .object(["steps": .int(steps)])
    }
    static let ping = ClosureMethod("ping", runsImmediately: true) { _, _ in .object([:]) }
    static let echo = ClosureMethod("echo") { params, _ throws(AppError) in
        .string(try params.requiredString("text"))
    }

    private func makeServer(_ options: ServerOptions = ServerOptions()) -> (ServerCore, OutputLog) {
        let log = OutputLog()
        let server = ServerCore(methods: [Self.slow, Self.ping, Self.echo], options: options) { log.append($0) }
        return (server, log)
    }

    private func send(_ server: ServerCore, _ text: String) {
        var framer = LineFramer(maxLineBytes: server.options.maxLineBytes)
        for frame in framer.append(Array((text + "\n").utf8)) { server.receive(frame) }
    }

    func testRequestsNotificationsAndErrors() {
        let (server, log) = makeServer()
        defer { server.close() }
        send(server, #"{"jsonrpc":"2.0","method":"echo","params":{"text":"hi"},"id":"a"}"#)
        send(server, #"{"jsonrpc":"2.0","method":"echo","params":{"text":"hi"}}"#)  // notification: no answer
        send(server, #"{"jsonrpc":"2.0","method":"nope","id":2}"#)
        send(server, #"{"jsonrpc":"2.0","method":"nope"}"#)  // unknown notification: no answer
        send(server, #"{"jsonrpc":"2.0","method":"echo","params":{"text":5},"id":3}"#)
        send(server, #"{"jsonrpc":"2.0","method":"echo","params":["hi"],"id":4}"#)
        send(server, "{oops")
        server.waitUntilIdle()
        let out = log.all.map(\.compactText)
        XCTAssertEqual(out.count, 5, "\(out)")
        XCTAssertTrue(out.contains(#"{"jsonrpc":"2.0","id":"a","result":"hi"}"#))
        XCTAssertEqual(log.responses(id: "2").first?.objectValue?["error"]?.objectValue?["code"], .int(-32601))
        let e3 = log.responses(id: "3").first?.objectValue?["error"]?.objectValue
        XCTAssertEqual(e3?["code"], .int(-32602))
        XCTAssertEqual(e3?["data"]?.objectValue?["field"], .string("text"))
        XCTAssertEqual(log.responses(id: "4").first?.objectValue?["error"]?.objectValue?["code"], .int(-32602))
        XCTAssertTrue(out.contains { $0.contains("-32700") && $0.contains(#""id":null"#) })
    }

    func testBatches() {
        let (server, log) = makeServer()
        defer { server.close() }
        send(server, "[]")
        send(server, #"[{"jsonrpc":"2.0","method":"echo","params":{"text":"n"}}]"#)  // all notifications: nothing
        send(server, #"[1,{"jsonrpc":"2.0","method":"echo","params":{"text":"x"},"id":7},{"jsonrpc":"2.0","method":"ping","id":8}]"#)
        server.waitUntilIdle()
        let out = log.all
        XCTAssertEqual(out.count, 2, "\(out.map(\.compactText))")
        XCTAssertEqual(out[0].objectValue?["error"]?.objectValue?["code"], .int(-32600))
        guard let batch = out[1].arrayValue else { return XCTFail("expected a batch response") }
        XCTAssertEqual(batch.count, 3)
        XCTAssertEqual(batch[0].objectValue?["error"]?.objectValue?["code"], .int(-32600))
        XCTAssertEqual(batch[1].objectValue?["result"], .string("x"))
        XCTAssertEqual(batch[2].objectValue?["result"], .object([:]))
    }

    func testPingIsAnsweredWhileALongRequestRunsAndCancelStopsIt() throws {
        let (server, log) = makeServer()
        defer { server.close() }
        send(server, #"{"jsonrpc":"2.0","method":"slow","params":{"steps":200,"stepMillis":10,"_meta":{"progressToken":"p"}},"id":1}"#)
        send(server, #"{"jsonrpc":"2.0","method":"slow","params":{"steps":1},"id":2}"#)
        Thread.sleep(forTimeInterval: 0.1)
        send(server, #"{"jsonrpc":"2.0","method":"ping","id":3}"#)
        // The ping is answered before the long request finishes.
        XCTAssertEqual(log.responses(id: "3").count, 1)
        XCTAssertTrue(log.responses(id: "1").isEmpty)
        send(server, #"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":2}}"#)  // queued: answered now
        XCTAssertEqual(log.responses(id: "2").first?.objectValue?["error"]?.objectValue?["code"], .int(-32800))
        send(server, #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#)
        server.waitUntilIdle()
        let e1 = log.responses(id: "1").first?.objectValue?["error"]?.objectValue
        XCTAssertEqual(e1?["code"], .int(-32800))
        XCTAssertEqual(log.responses(id: "2").count, 1, "a cancelled request is answered once")
        // Progress: increasing, and none after the response.
        let all = log.all
        let responseIndex = try XCTUnwrap(all.firstIndex { $0.objectValue?["id"] == .number("1") })
        let progressIndices = all.indices.filter { all[$0].objectValue?["method"] == .string("notifications/progress") }
        XCTAssertFalse(progressIndices.isEmpty)
        XCTAssertTrue(progressIndices.allSatisfy { $0 < responseIndex })
        let values = progressIndices.compactMap { all[$0].objectValue?["params"]?.objectValue?["progress"]?.doubleValue }
        XCTAssertEqual(values, values.sorted())
        XCTAssertEqual(Set(values).count, values.count)
    }

    func testOversizedLineGetsLimitErrorAndServerGoesOn() {
        var options = ServerOptions()
        options.maxLineBytes = 64
        let (server, log) = makeServer(options)
        defer { server.close() }
        send(server, #"{"jsonrpc":"2.0","method":"echo","params":{"text":""# + String(repeating: "x", count: 100) + #""},"id":1}"#)
        send(server, #"{"jsonrpc":"2.0","method":"ping","id":2}"#)
        server.waitUntilIdle()
        XCTAssertEqual(log.all.first?.objectValue?["error"]?.objectValue?["code"], .int(-32007))
        XCTAssertEqual(log.responses(id: "2").count, 1)
    }

    func testShutdownThenExit() {
        let (server, log) = makeServer()
        send(server, #"{"jsonrpc":"2.0","method":"shutdown","id":1}"#)
        send(server, #"{"jsonrpc":"2.0","method":"echo","params":{"text":"late"},"id":2}"#)
        XCTAssertEqual(log.responses(id: "1").first?.objectValue?["result"], .null)
        XCTAssertEqual(log.responses(id: "2").first?.objectValue?["error"]?.objectValue?["code"], .int(-32600))
        send(server, #"{"jsonrpc":"2.0","method":"exit"}"#)
        XCTAssertEqual(server.exitCode, 0)
    }

    func testShutdownIsAnsweredAfterTheWorkQueuedBeforeIt() {
        let (server, log) = makeServer()
        send(server, #"{"jsonrpc":"2.0","method":"slow","params":{"steps":5,"stepMillis":10},"id":1}"#)
        send(server, #"{"jsonrpc":"2.0","method":"echo","params":{"text":"queued"},"id":2}"#)
        send(server, #"{"jsonrpc":"2.0","method":"shutdown","id":3}"#)
        send(server, #"{"jsonrpc":"2.0","method":"echo","params":{"text":"late"},"id":4}"#)
        send(server, #"{"jsonrpc":"2.0","method":"exit"}"#)
        let ids = log.all.compactMap { $0.objectValue?["id"]?.compactText }
        XCTAssertEqual(ids, ["4", "1", "2", "3"], "the late request is refused at once; shutdown answers last")
        XCTAssertEqual(log.responses(id: "4").first?.objectValue?["error"]?.objectValue?["code"], .int(-32600))
        XCTAssertEqual(server.exitCode, 0)
    }

    func testStrictPingDoesNotInitializeAndLifecycleRequestsWithIDsAreAnswered() {
        var options = ServerOptions()
        options.strictLifecycle = true
        let (server, log) = makeServer(options)
        send(server, #"{"jsonrpc":"2.0","method":"ping","id":1}"#)
        send(server, #"{"jsonrpc":"2.0","method":"echo","params":{"text":"x"},"id":2}"#)
        XCTAssertEqual(log.responses(id: "1").first?.objectValue?["result"], .object([:]))
        XCTAssertEqual(log.responses(id: "2").first?.objectValue?["error"]?.objectValue?["code"], .int(-32002))
        send(server, #"{"jsonrpc":"2.0","method":"initialized","id":3}"#)
        XCTAssertEqual(log.responses(id: "3").first?.objectValue?["result"], .null)
        send(server, #"{"jsonrpc":"2.0","method":"exit","id":4}"#)
        XCTAssertEqual(log.responses(id: "4").first?.objectValue?["result"], .null)
        XCTAssertEqual(server.exitCode, 1)
    }

    func testCloseAnswersEveryQueuedRequestAsCancelled() {
        let (server, log) = makeServer()
        send(server, #"{"jsonrpc":"2.0","method":"slow","params":{"steps":100,"stepMillis":10},"id":1}"#)
        send(server, #"{"jsonrpc":"2.0","method":"echo","params":{"text":"a"},"id":2}"#)
        send(server, #"[{"jsonrpc":"2.0","method":"echo","params":{"text":"b"},"id":3}]"#)
        Thread.sleep(forTimeInterval: 0.05)
        server.close()   // what SIGTERM does
        for id in ["1", "2"] {
            XCTAssertEqual(log.responses(id: id).first?.objectValue?["error"]?.objectValue?["code"], .int(-32800), "request \(id)")
        }
        let batch = log.all.first { $0.arrayValue != nil }?.arrayValue
        XCTAssertEqual(batch?.first?.objectValue?["error"]?.objectValue?["code"], .int(-32800))
        let running = log.responses(id: "1").first?.objectValue?["error"]?.objectValue?["data"]?.objectValue
        XCTAssertEqual(running?["stage"], .string("decoding"))
    }

    func testExitWithoutShutdownIsCodeOneAndStrictModeNeedsInitialize() {
        let (server, _) = makeServer()
        send(server, #"{"jsonrpc":"2.0","method":"exit"}"#)
        XCTAssertEqual(server.exitCode, 1)
        var options = ServerOptions()
        options.strictLifecycle = true
        let (strict, log) = makeServer(options)
        defer { strict.close() }
        send(strict, #"{"jsonrpc":"2.0","method":"echo","params":{"text":"x"},"id":1}"#)
        XCTAssertEqual(log.responses(id: "1").first?.objectValue?["error"]?.objectValue?["code"], .int(-32002))
    }
}
