// LineFramer: splits a byte stream into newline-delimited messages. A pure value over bytes, so
// partial reads, empty lines, CRLF and oversize lines are all tested without a process.

/// Splits an incoming byte stream into lines of at most `maxLineBytes` bytes.
///
/// `\n` ends a line; a `\r` before it is dropped; lines holding only whitespace are skipped. A line
/// longer than the limit is not buffered: its bytes are counted and dropped, and one `.oversized`
/// frame reports it when its newline arrives, so a client cannot exhaust memory with one line.
public struct LineFramer: Sendable {
    /// One unit of input.
    public enum Frame: Sendable, Equatable {
        /// A complete line without its terminator.
        case line([UInt8])
        /// A line that exceeded the limit; `byteCount` is its length without the terminator.
        case oversized(byteCount: Int)
    }

    public let maxLineBytes: Int
    private var buffer: [UInt8] = []
    /// Bytes seen so far of a line that is over the limit, or nil when not discarding.
    private var discarded: Int?

    public init(maxLineBytes: Int) {
        precondition(maxLineBytes > 0, "maxLineBytes must be positive")
        self.maxLineBytes = maxLineBytes
    }

    /// Feeds bytes; returns the frames they complete, in order.
    public mutating func append<C: Collection>(_ chunk: C) -> [Frame] where C.Element == UInt8 {
        var frames: [Frame] = []
        for byte in chunk {
            if byte == 0x0A {
                if let count = discarded {
                    frames.append(.oversized(byteCount: count))
                    discarded = nil
                } else {
                    emit(into: &frames)
                }
                buffer.removeAll(keepingCapacity: true)
                continue
            }
            if var count = discarded {
                count += 1
                discarded = count
                continue
            }
            buffer.append(byte)
            // One byte of slack for a '\r' that is dropped before the newline.
            if buffer.count > maxLineBytes + 1 || (buffer.count == maxLineBytes + 1 && byte != 0x0D) {
                discarded = buffer.count
                buffer.removeAll(keepingCapacity: false)
            }
        }
        return frames
    }

    /// Ends the stream: a final line without a newline is still delivered.
    public mutating func finish() -> [Frame] {
        var frames: [Frame] = []
        if let count = discarded {
            frames.append(.oversized(byteCount: count))
            discarded = nil
        } else {
            emit(into: &frames)
        }
        buffer.removeAll()
        return frames
    }

    private func emit(into frames: inout [Frame]) {
        var line = buffer[...]
        if line.last == 0x0D { line = line.dropLast() }
        if line.count > maxLineBytes {
            frames.append(.oversized(byteCount: line.count))
            return
        }
        let blank = line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
        if !blank { frames.append(.line(Array(line))) }
    }
}
