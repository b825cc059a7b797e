// ServerProcess: the real `maskgit-rpc` executable over pipes, for the process tests. Its
// stdout is read by a thread of its own, so `next(timeout:)` returns nil when no line arrives in
// time (it never blocks past its deadline).

import Foundation
import JSONRPC

/// The executable is missing: a test that needs it fails with this (it is not skipped).
public struct MissingServerBinary: Error, CustomStringConvertible {
    public let looked: [String]
    public var description: String {
        "maskgit-rpc executable not built (looked at \(looked.joined(separator: ", "))): run `swift build --build-tests` "
            + "(it builds every product) or `swift build --product maskgit-rpc` first"
    }
}

public final class ServerProcess: @unchecked Sendable {
    // `buffer` and `ended` are guarded by `condition`.
    public let process = Process()
    public let stdin = Pipe()
    public let stdout = Pipe()
    public let stderr = Pipe()
    private let condition = NSCondition()
    private var buffer: [UInt8] = []
    private var ended = false

    /// The executable built next to the test bundle (`swift build --build-tests` builds every
    /// product), or .build/debug; throws `MissingServerBinary` when there is none.
    public static func binary(besides bundle: Bundle? = nil) throws -> URL {
        var candidates = [Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("maskgit-rpc")]
        if let bundle { candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("maskgit-rpc")) }
        candidates.append(Fixtures.root.appendingPathComponent(".build/debug/maskgit-rpc"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw MissingServerBinary(looked: candidates.map(\.path))
        }
        return found
    }

    /// Starts the server; `readsOutput` false leaves its stdout unread (for a test that closes it).
    public init(arguments: [String], binary: URL, workingDirectory: URL? = nil, readsOutput: Bool = true) throws {
        process.executableURL = binary
        process.arguments = arguments
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        guard readsOutput else { return }
        let handle = stdout.fileHandleForReading
        let reader = Thread { [self] in
            while true {
                let chunk = handle.availableData
                condition.lock()
                if chunk.isEmpty { ended = true } else { buffer.append(contentsOf: chunk) }
                condition.broadcast()
                condition.unlock()
                if chunk.isEmpty { break }
            }
        }
        reader.start()
    }

    public func send(_ line: String) {
        stdin.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// The next line of stdout as JSON, or nil when none came within `timeout` seconds or stdout ended.
    public func next(timeout: TimeInterval = 60) -> JSONValue? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return try? JSONParser.parse(line)
            }
            if ended { return nil }
            if !condition.wait(until: deadline) { return nil }
        }
    }

    /// Reads lines until the response with `id`, returning it and the notifications before it.
    public func response(id: String, timeout: TimeInterval = 120) -> (JSONValue?, [JSONValue]) {
        var notes: [JSONValue] = []
        while let message = next(timeout: timeout) {
            if message.objectValue?["id"] == .number(id) || message.objectValue?["id"] == .string(id) { return (message, notes) }
            notes.append(message)
        }
        return (nil, notes)
    }

    public func closeInput() { try? stdin.fileHandleForWriting.close() }

    public func waitForExit() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }
}
