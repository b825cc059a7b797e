// StdioTransport: serves a ServerCore on stdin/stdout, one JSON message per line.
//
// stdout belongs to the protocol: at start the real stdout is duplicated for the transport and
// fd 1 is pointed at stderr, so a stray print can never corrupt the stream. SIGPIPE is ignored
// and a write error on the protocol fd (the client went away) ends the process quietly with
// status 0. End of stdin and SIGTERM both shut down cleanly: queued work is dropped, the running
// request is cancelled at its next step, and the process exits.

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
    public static func serve(_ server: ServerCore, framer maxLineBytes: Int) -> Int32 {
        let term = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        signal(SIGTERM, SIG_IGN)
        term.setEventHandler {
            Log.info("SIGTERM: shutting down")
            server.close(exitCode: 0)
            exit(0)
        }
        term.resume()

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
        return server.exitCode ?? 0
    }
}
