// ByteStorage: the checkpoint bytes, either a read-only private memory map of the file or an
// owned copy of in-memory bytes. Readers keep byte ranges into it; a tensor is converted to
// [Float] only when taken, so loading never holds a second copy of all payloads.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Immutable bytes shared by the readers and the `WeightStore` (read-only after init).
final class ByteStorage: @unchecked Sendable {
    let base: UnsafeRawPointer?
    let count: Int
    private let isMapped: Bool

    /// Maps `url` read-only (MAP_PRIVATE). An empty file gives empty storage.
    init(mapping url: URL) throws {
        let path = url.path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CheckpointError.io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw CheckpointError.io(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError.io(path: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        if size == 0 {
            base = nil
            count = 0
            isMapped = false
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0),
              p != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw CheckpointError.io(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
        count = size
        isMapped = true
    }

    /// Copies `bytes` into owned memory.
    init<C: Collection>(copying bytes: C) where C.Element == UInt8 {
        count = bytes.count
        isMapped = false
        if count == 0 {
            base = nil
            return
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 16)
        let typed = p.bindMemory(to: UInt8.self, capacity: count)
        _ = UnsafeMutableBufferPointer(start: typed, count: count).initialize(from: bytes)
        base = UnsafeRawPointer(p)
    }

    deinit {
        guard let base else { return }
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    /// The whole buffer (empty when count is 0).
    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Tells the kernel the mapped pages of `range` are no longer needed, so a taken tensor's
    /// file pages leave the resident set (they are re-read from the file if touched again).
    /// No effect on in-memory storage.
    func releasePages(_ range: Range<Int>) {
        guard isMapped, let base, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let start = (range.lowerBound / page) * page
        let end = min(count, ((range.upperBound + page - 1) / page) * page)
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, Int32(MADV_DONTNEED))
    }
}
