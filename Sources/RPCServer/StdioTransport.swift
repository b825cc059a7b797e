// StdioTransport: serves a ServerCore on stdin/stdout, one JSON message per line.
//
// stdout belongs to the protocol: at start the real stdout is duplicated for the transport and
// fd 1 is pointed at stderr, so a stray print can never corrupt the stream. SIGPIPE is ignored
// and a write error on the protocol fd (the client went away) ends the process quietly with
// status 0. End of stdin (or a read error on it, logged): a last line without a newline is still
// handled, then the running and every queued request finish and are answered, then the process
// exits 0, with or without shutdown/exit (a shell pipe expects its answers); an `exit` that came
// before ends it as the lifecycle says (status 0 after shutdown, else 1). SIGTERM and SIGINT
// shut down at once: the running request is cancelled at its next step and every queued one is
// answered -32800 (stage "queued"), and the process exits 0.

import Foundation
import JSONRPC
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes whole messages to a file descriptor, one per line, serialized by a mutex.
public final class LineWriter: Sendable {
    private let fd: Int32
    /// Guards the descriptor so messages from the reader and the worker never interleave.
    private let lock = Mutex<Void>(())

    public init(fd: Int32) { self.fd = fd }

    /// Writes `message` and a newline. On a broken pipe the process exits with status 0.
    public func write(_ message: JSONValue) {
        var bytes = message.serialized()
        bytes.append(0x0A)
        lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { raw in
                    #if canImport(Darwin)
                    Darwin.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    #else
                    Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    #endif
                }
                if n < 0 {
                    if errno == EINTR { continue }
                    // EPIPE or another write failure: nobody reads our answers any more.
                    Log.info("stdout closed (\(String(cString: strerror(errno)))); exiting")
                    exit(0)
                }
                offset += n
            }
        }
    }
}

/// Minimal stderr logging (stdout is the protocol's).
public enum Log {
    private static let verboseFlag = Atomic<Bool>(true)

    /// When false, only warnings are written.
    public static var verbose: Bool {
        get { verboseFlag.load(ordering: .relaxed) }
        set { verboseFlag.store(newValue, ordering: .relaxed) }
    }

    public static func info(_ message: @autoclosure () -> String) {
        guard verbose else { return }
        FileHandle.standardError.write(Data("maskgit-rpc: \(message())\n".utf8))
    }

    public static func warning(_ message: @autoclosure () -> String) {
        FileHandle.standardError.write(Data("maskgit-rpc: warning: \(message())\n".utf8))
    }
}

/// The stdio transport.
public enum StdioTransport {
    /// Keeps the real stdout for the protocol and points fd 1 at stderr. Returns the protocol fd.
    public static func takeOverStdout() -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        let protocolFD = dup(STDOUT_FILENO)
        precondition(protocolFD >= 0, "cannot duplicate stdout")
        fflush(nil)
        dup2(STDERR_FILENO, STDOUT_FILENO)
        return protocolFD
    }

    /// Reads stdin until end of file, feeding `server`; returns the exit status.
    ///
    /// Reading runs on its own thread and this one waits for the server to close, so an `exit`
    /// that arrives inside a batch (handled by the worker) ends the process even while stdin
    /// stays open. SIGTERM and SIGINT (Ctrl-C) both cancel the running request, answer every
    /// queued one with -32800, and exit 0.
    public static func serve(_ server: ServerCore, framer maxLineBytes: Int) -> Int32 {
        var sources: [any DispatchSourceSignal] = []
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            signal(number, SIG_IGN)
            source.setEventHandler {
                Log.info("\(name): shutting down")
                server.close(exitCode: 0)
            }
            source.resume()
            sources.append(source)
        }

        let reader = Thread {
            var framer = LineFramer(maxLineBytes: maxLineBytes)
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while server.exitCode == nil {
                let n = buffer.withUnsafeMutableBytes { raw in read(STDIN_FILENO, raw.baseAddress, raw.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    Log.warning("reading stdin failed: \(String(cString: strerror(errno)))")
                    break
                }
                if n == 0 { break }
                for frame in framer.append(buffer[0..<n]) {
                    server.receive(frame)
                    if server.exitCode != nil { break }
                }
            }
            if server.exitCode == nil {
                for frame in framer.finish() { server.receive(frame) }
                // End of input: finish what was asked, then stop (a shell pipe expects its answers).
                server.waitUntilIdle()
                server.close(exitCode: 0)
            }
            // Otherwise an `exit` arrived: whoever handled it closes the server.
        }
        reader.stackSize = 8 << 20
        reader.start()
        let code = server.waitForExit()
        withExtendedLifetime(sources) {}
        return code
    }
}
