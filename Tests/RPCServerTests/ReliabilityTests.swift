import Editing
import Foundation
import ImageCodecs
import JSONRPC
import Sessions
import Synchronization
import XCTest
@testable import RPCServer

#if canImport(Glibc)
import Glibc
#endif

/// Issue 13: no request kills or hangs the server, no answer is lost, no path escapes, memory
/// stays bounded. None of these tests depends on timing: blocking methods are released by
/// semaphores, and time limits only turn a hang into a failure.
final class ReliabilityTests: XCTestCase {
    /// A method that blocks until `gate` is signalled; `started` says it runs.
    final class Gate: Sendable {
        let started = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        var method: ClosureMethod {
            ClosureMethod("block") { [self] _, _ in
                started.signal()
                gate.wait()
                return .string("released")
            }
        }
    }

    private func makeServer(_ options: ServerOptions = ServerOptions(), extra: [any RPCMethod] = []) -> (ServerCore, OutputLog) {
        let log = OutputLog()
        let echo = ClosureMethod("echo") { params, _ throws(AppError) in .string(try params.requiredString("text")) }
        let ping = ClosureMethod("ping", runsImmediately: true) { _, _ in .object([:]) }
        let server = ServerCore(methods: [echo, ping] + extra, options: options) { log.append($0) }
        return (server, log)
    }

    private func send(_ server: ServerCore, _ text: String) {
        var framer = LineFramer(maxLineBytes: server.options.maxLineBytes)
        for frame in framer.append(Array((text + "\n").utf8)) { server.receive(frame) }
    }

    /// `waitForExit` with a generous guard: a deadlock fails the test instead of hanging it.
    private func exitCode(_ server: ServerCore, file: StaticString = #filePath, line: UInt = #line) -> Int32? {
        let done = DispatchSemaphore(value: 0)
        let code = Mutex<Int32?>(nil)
        Thread { code.withLock { $0 = server.waitForExit() }; done.signal() }.start()
        guard done.wait(timeout: .now() + 60) == .success else {
            XCTFail("the server did not exit (deadlock)", file: file, line: line)
            return nil
        }
        return code.withLock { $0 }
    }

    // MARK: Batches, exit and shutdown (findings 2, 3, 9)

    func testExitInsideABatchIsAnsweredInTheBatchAndEndsTheServer() {
        let (server, log) = makeServer()
        send(server, #"[{"jsonrpc":"2.0","id":1,"method":"exit"}]"#)
        XCTAssertEqual(exitCode(server), 1)
        XCTAssertEqual(log.all.map(\.compactText), [#"[{"jsonrpc":"2.0","id":1,"result":null}]"#])
    }

    func testShutdownAndExitInsideABatchAreAnsweredInTheArray() {
        let (server, log) = makeServer()
        send(server, #"{"jsonrpc":"2.0","id":0,"method":"echo","params":{"text":"before"}}"#)
        send(server, #"[{"jsonrpc":"2.0","id":1,"method":"shutdown"},{"jsonrpc":"2.0","id":2,"method":"exit"},{"jsonrpc":"2.0","id":3,"method":"echo","params":{"text":"x"}}]"#)
        XCTAssertEqual(exitCode(server), 0)
        let out = log.all
        XCTAssertEqual(out.count, 2, "\(out.map(\.compactText))")
        XCTAssertEqual(out.first?.objectValue?["result"], .string("before"))
        let batch = out.last?.arrayValue ?? []
        XCTAssertEqual(batch.map { $0.objectValue?["id"] }, [.number("1"), .number("2"), .number("3")])
        XCTAssertEqual(batch[0].objectValue?["result"], .null)
        XCTAssertEqual(batch[1].objectValue?["result"], .null)
        XCTAssertEqual(batch[2].objectValue?["error"]?.objectValue?["code"], .int(-32600), "after exit: shutting down")
    }

    func testABatchArrivingAtAFullQueueIsAnsweredMinus32006PerRequest() {
        let gate = Gate()
        var options = ServerOptions()
        options.maxQueuedJobs = 1
        let (server, log) = makeServer(options, extra: [gate.method])
        send(server, #"{"jsonrpc":"2.0","id":"A","method":"block"}"#)
        gate.started.wait()                                     // A runs; the queue is empty
        send(server, #"{"jsonrpc":"2.0","id":"Q","method":"echo","params":{"text":"q"}}"#)   // the queue is full
        send(server, #"[{"jsonrpc":"2.0","id":"C","method":"ping"},5,{"jsonrpc":"2.0","method":"ping"},{"jsonrpc":"2.0","id":"D","method":"echo","params":{"text":"d"}}]"#)
        send(server, #"{"jsonrpc":"2.0","id":"E","method":"echo","params":{"text":"e"}}"#)
        let refused = log.all
        XCTAssertEqual(refused.count, 2, "\(refused.map(\.compactText))")
        let batch = refused.first { $0.arrayValue != nil }?.arrayValue ?? []
        XCTAssertEqual(batch.map { $0.objectValue?["id"] }, [.string("C"), .null, .string("D")])
        XCTAssertEqual(batch.map { $0.objectValue?["error"]?.objectValue?["code"] }, [.int(-32006), .int(-32600), .int(-32006)])
        XCTAssertEqual(log.all.first { $0.objectValue?["id"] == .string("E") }?.objectValue?["error"]?.objectValue?["code"], .int(-32006))
        gate.gate.signal()
        server.waitUntilIdle()
        XCTAssertEqual(log.all.first { $0.objectValue?["id"] == .string("A") }?.objectValue?["result"], .string("released"))
        XCTAssertEqual(log.all.first { $0.objectValue?["id"] == .string("Q") }?.objectValue?["result"], .string("q"))
        // A batch counts as its size: two requests do not fit a queue of one.
        let gate2 = Gate()
        let (second, log2) = makeServer(options, extra: [gate2.method])
        send(second, #"{"jsonrpc":"2.0","id":"A","method":"block"}"#)
        gate2.started.wait()
        send(second, #"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]"#)
        XCTAssertEqual(log2.all.first?.arrayValue?.count, 2)
        gate2.gate.signal()
        second.close()
        server.close()
    }

    func testBatchAndValueLimitsAnswerOnceWithIDNull() {
        var options = ServerOptions()
        options.maxBatchRequests = 2
        options.maxJSONValues = 40
        let (server, log) = makeServer(options)
        defer { server.close() }
        send(server, #"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","id":3,"method":"ping"}]"#)
        send(server, "[" + Array(repeating: "1", count: 50).joined(separator: ",") + "]")
        server.waitUntilIdle()
        let (deep, deepLog) = makeServer()
        defer { deep.close() }
        send(deep, String(repeating: "[", count: 300) + String(repeating: "]", count: 300))
        deep.waitUntilIdle()
        let out = log.all + deepLog.all
        XCTAssertEqual(out.count, 3)
        for (message, field) in zip(out, ["batch", "values", "depth"]) {
            let error = message.objectValue?["error"]?.objectValue
            XCTAssertEqual(message.objectValue?["id"], .null)
            XCTAssertEqual(error?["code"], .int(-32007))
            XCTAssertEqual(error?["data"]?.objectValue?["field"], .string(field))
        }
    }

    func testParserCountsEveryValue() throws {
        XCTAssertNoThrow(try JSONParser.parse(#"{"a":[1,2,{"b":null}]}"#.utf8.map { $0 }, maxValues: 6))
        XCTAssertThrowsError(try JSONParser.parse(#"{"a":[1,2,{"b":null}]}"#.utf8.map { $0 }, maxValues: 5)) {
            XCTAssertEqual(($0 as? JSONParseError)?.limit, 5)
        }
    }

    func testHugeNamesAreNotEchoedInFull() {
        let (server, log) = makeServer()
        defer { server.close() }
        let huge = String(repeating: "m", count: 1 << 20)
        send(server, #"{"jsonrpc":"2.0","id":1,"method":""# + huge + #""}"#)
        let text = log.all.first?.compactText ?? ""
        XCTAssertLessThan(text.utf8.count, 1000)
        let store = SessionStore()
        XCTAssertThrowsError(try store.snapshot(huge)) { error in
            XCTAssertLessThan("\(error)".utf8.count + (wire(error)?.json.compactText.utf8.count ?? 0), 2000)
        }
    }

    // MARK: Sessions (findings 8, 9)

    private func revision(_ side: Int, _ op: Revision.Operation = .open, seed: UInt64? = nil) -> Revision {
        Revision(image: RGBImage(width: side, height: side, layout: .rgb), tokens: TokenGrid(width: side / 8, height: side / 8),
                 operation: op, seed: seed)
    }

    func testTheEditedSessionStaysWithinTheMemoryBudget() throws {
        var limits = SessionLimits()
        limits.memoryBudgetBytes = 1 << 20
        let store = SessionStore(limits: limits)
        let (id, _, _) = try store.open(model: "m", revision: revision(256))
        for i in 0..<31 {
            let s = try store.snapshot(id)
            _ = try store.commit(id, base: s.revision, revision: revision(256, .inpaint, seed: UInt64(i)))
        }
        XCTAssertLessThanOrEqual(store.bytes, limits.memoryBudgetBytes)
        let s = try store.snapshot(id)
        XCTAssertEqual(s.revision, 31)
        XCTAssertEqual(s.current.operation, .inpaint)
        XCTAssertEqual(s.current.seed, 30)
        XCTAssertGreaterThan(s.revisionCount, 1, "undo kept as far as the budget allows")
        XCTAssertThrowsError(try store.commit(id, base: 31, revision: revision(1024))) {
            XCTAssertEqual(wire($0)?.code, -32007)
        }
    }

    func testAnEvictedSessionStaysEvictedAfterManyMoreEvictions() throws {
        var limits = SessionLimits()
        limits.maxSessions = 1
        let store = SessionStore(limits: limits)
        let (first, _, _) = try store.open(model: "m", revision: revision(8))
        for _ in 0..<1500 { _ = try store.open(model: "m", revision: revision(8)) }
        XCTAssertThrowsError(try store.snapshot(first)) {
            XCTAssertEqual(wire($0)?.data?.objectValue?["reason"], .string("session_evicted"))
        }
        XCTAssertThrowsError(try store.snapshot("s99999")) {
            XCTAssertEqual(wire($0)?.data?.objectValue?["reason"], .string("session_not_found"))
        }
    }

    // MARK: Paths (findings 4, 5, 9; issue 14: relative paths)

    private func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("maskgit-reliability-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    private func png() throws -> [UInt8] { try ImageEncoder.encode(RGBImage(width: 4, height: 4, layout: .rgb, filledWith: 7), as: .png) }

    private func reason(_ error: any Error) -> String? {
        wire(error)?.data?.objectValue?["reason"]?.stringValue
    }

    func testNoSymbolicLinkBelowARootIsFollowed() throws {
        let dir = try temporaryDirectory()
        let root = dir.appendingPathComponent("root"), outside = dir.appendingPathComponent("outside")
        for d in [root, outside, root.appendingPathComponent("sub")] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        try Data(try png()).write(to: outside.appendingPathComponent("secret.png"))
        try Data(try png()).write(to: root.appendingPathComponent("sub/inside.png"))
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("link.png").path, withDestinationPath: outside.appendingPathComponent("secret.png").path)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("dirlink").path, withDestinationPath: outside.path)
        let policy = ImagePolicy(allowedRoots: [root], workingDirectory: root.path)
        XCTAssertNoThrow(try policy.readImage(.object(["path": .string("sub/inside.png")]), field: "image"))
        for path in ["link.png", "dirlink/secret.png", root.path + "/dirlink/secret.png", "../outside/secret.png", "sub/../../outside/secret.png"] {
            XCTAssertThrowsError(try policy.readImage(.object(["path": .string(path)]), field: "image"), path) {
                XCTAssertEqual(self.reason($0), "path_not_allowed", "\(path): \($0)")
            }
        }
        // Writes: through a linked directory refused; a link at the target name is replaced, not followed.
        var output = try ImageOutput(Params(["path": .string("dirlink/out.png")]), policy: policy)
        XCTAssertThrowsError(try output.deliver(RGBImage(width: 2, height: 2, layout: .rgb))) { XCTAssertEqual(self.reason($0), "path_not_allowed") }
        output = try ImageOutput(Params(["path": .string("link.png")]), policy: policy)
        _ = try output.deliver(RGBImage(width: 2, height: 2, layout: .rgb))
        XCTAssertEqual(try Data(contentsOf: outside.appendingPathComponent("secret.png")), Data(try png()), "the link's target is untouched")
        XCTAssertNil(try? FileManager.default.destinationOfSymbolicLink(atPath: root.appendingPathComponent("link.png").path))
    }

    func testFilesAreCheckedByDescriptorBeforeTheyAreRead() throws {
        let dir = try temporaryDirectory()
        let policy = ImagePolicy(allowedRoots: [dir], maxFileBytes: 1 << 20, workingDirectory: dir.path)
        // A sparse file far over the limit: refused from its size, not read.
        let huge = dir.appendingPathComponent("huge.png")
        FileManager.default.createFile(atPath: huge.path, contents: nil)
        let handle = try FileHandle(forWritingTo: huge)
        try handle.truncate(atOffset: 2 << 30)
        try handle.close()
        XCTAssertThrowsError(try policy.readImage(.object(["path": .string("huge.png")]), field: "image")) {
            XCTAssertEqual(self.reason($0), "limit_exceeded")
            XCTAssertEqual(wire($0)?.data?.objectValue?["got"], .int(2 << 30))
        }
        // A FIFO does not block the server; a directory or a trailing slash is not a file.
        XCTAssertEqual(mkfifo(dir.appendingPathComponent("fifo.png").path, 0o600), 0)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("d.png"), withIntermediateDirectories: true)
        try Data(try png()).write(to: dir.appendingPathComponent("ok.png"))
        for (path, expected) in [("fifo.png", "path_not_allowed"), ("d.png", "path_not_allowed"), ("ok.png/", "invalid_params"),
                                 ("missing.png", "io_failed")] {
            XCTAssertThrowsError(try policy.readImage(.object(["path": .string(path)]), field: "image"), path) {
                XCTAssertEqual(self.reason($0), expected, "\(path): \($0)")
            }
        }
        XCTAssertThrowsError(try ImageOutput(Params(["path": .string("out.png/")]), policy: policy))
    }

    func testRelativePathsAreRelativeToTheWorkingDirectoryAndErrorsShowThePathTried() throws {
        let dir = try temporaryDirectory()
        let work = dir.appendingPathComponent("work"), other = dir.appendingPathComponent("other")
        for d in [work, other] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        try Data(try png()).write(to: work.appendingPathComponent("a.png"))
        let policy = ImagePolicy(allowedRoots: [other, work], workingDirectory: work.path)
        XCTAssertNoThrow(try policy.readImage(.object(["path": .string("a.png")]), field: "image"), "not relative to the first root")
        XCTAssertThrowsError(try policy.readImage(.object(["path": .string("b.png")]), field: "image")) {
            let text = wire($0)?.json.compactText ?? ""
            XCTAssertTrue(text.contains(work.appendingPathComponent("b.png").path), text)
        }
    }

    func testWritesAreAtomicAndLeftoversOfAKilledServerAreRemoved() throws {
        let dir = try temporaryDirectory()
        let policy = ImagePolicy(allowedRoots: [dir], workingDirectory: dir.path)
        // A temporary file as a server killed during its write leaves it (pid of no live process).
        var dead: Int32 = 999_999
        while kill(dead, 0) == 0 || errno != ESRCH { dead -= 1 }
        let leftover = dir.appendingPathComponent(ConfinedFiles.temporaryPrefix("out.png") + "\(dead)-ABCDEF12.tmp")
        let live = dir.appendingPathComponent(ConfinedFiles.temporaryPrefix("out.png") + "\(getppid())-ABCDEF12.tmp")
        try Data([1]).write(to: leftover)
        try Data([1]).write(to: live)
        let output = try ImageOutput(Params(["path": .string("out.png")]), policy: policy)
        let answer = try output.deliver(RGBImage(width: 3, height: 3, layout: .rgb))
        XCTAssertEqual(answer.objectValue?["path"], .string(dir.resolvingSymlinksInPath().appendingPathComponent("out.png").path))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertEqual(names, [live.lastPathComponent, "out.png"].sorted(), "the dead server's temporary is gone, a live one's kept")
    }
}

/// An application error as the server sends it (ErrorCodes.swift: the one mapping).
private func wire(_ error: any Error) -> RPCError? {
    (error as? AppError).map(RPCError.init)
}
