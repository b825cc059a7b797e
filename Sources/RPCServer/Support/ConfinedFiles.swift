// ConfinedFiles: reading and writing files under the allowed roots by descriptor, so what is
// checked is what is opened.
//
// A path is made absolute (relative paths: against the server's working directory) and
// normalized lexically; it must then lie under one of the roots. The file is reached from the
// root's directory descriptor one component at a time with openat(2) and O_NOFOLLOW, so no
// symbolic link below a root is ever followed and no rename or symlink swap between a check and
// an open can lead outside: there is no second open by name. Reads take regular files only, with
// their size checked (fstat) before a byte is read. Writes go to a temporary file created with
// O_EXCL in the target's directory (by descriptor) and renamed over the target with renameat(2);
// temporary files that a killed server left behind are removed on the next write there.

import Foundation
import JSONRPC
import Sessions

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A path that lies lexically under an allowed root: `root` (absolute, symbolic links resolved
/// at start) and the components below it.
struct ConfinedPath: Sendable {
    /// What the client sent.
    let requested: String
    /// The absolute, normalized path tried (shown in errors).
    let resolved: String
    let root: String
    let components: [String]

    /// The path reported back to clients.
    var path: String { components.isEmpty ? root : root + (root.hasSuffix("/") ? "" : "/") + components.joined(separator: "/") }
}

enum ConfinedFiles {
    /// Normalizes `path` lexically (relative to `workingDirectory`), finds the root it lies under
    /// (the longest), and returns the components below it.
    static func confine(_ path: String, workingDirectory: String, roots: [(given: String, real: String)],
                        field: String) throws(AppError) -> ConfinedPath {
        let shown = AppError.echo(path)
        guard !path.isEmpty, !path.utf8.contains(0) else {
            throw AppError.invalidParams(field: field, expected: "a file path", got: path.isEmpty ? "an empty path" : "a path with a NUL byte")
        }
        guard !path.hasSuffix("/"), !path.hasSuffix("/."), path != ".", !path.hasSuffix("/.."), path != ".." else {
            throw AppError.invalidParams(field: field, expected: "a file path (not a directory)", got: shown)
        }
        let absolute = path.hasPrefix("/") ? path : workingDirectory + "/" + path
        var parts: [String] = []
        for part in absolute.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(String(part))
            }
        }
        let resolved = "/" + parts.joined(separator: "/")
        var best: (root: String, below: [String])?
        for (given, real) in roots {
            for form in Set([given, real]) {
                let rootParts = form.split(separator: "/").map(String.init)
                guard parts.count > rootParts.count, Array(parts.prefix(rootParts.count)) == rootParts else { continue }
                if best == nil || best!.below.count > parts.count - rootParts.count {
                    best = (real, Array(parts.dropFirst(rootParts.count)))
                }
            }
        }
        guard let best else {
            throw AppError(.pathNotAllowed, "Path \(AppError.echo(resolved)) is outside the allowed roots",
                                   details: ["field": .string(field), "path": .string(shown), "resolved": .string(AppError.echo(resolved)),
                                             "allowedRoots": .strings(roots.map { $0.real })])
        }
        return ConfinedPath(requested: path, resolved: resolved, root: best.root, components: best.below)
    }

    // MARK: Descriptors

    private static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }

    private static func refusal(_ path: ConfinedPath, field: String, _ why: String) -> AppError {
        AppError(.pathNotAllowed, "Path \(AppError.echo(path.resolved)) is not allowed: \(why)",
                         details: ["field": .string(field), "path": .string(AppError.echo(path.requested)),
                                   "resolved": .string(AppError.echo(path.resolved))])
    }

    private static func ioError(_ path: ConfinedPath, field: String, _ verb: String, _ code: Int32) -> AppError {
        AppError(.ioFailed, "Cannot \(verb) \(AppError.echo(path.resolved)): \(describe(code))",
                         details: ["field": .string(field), "path": .string(AppError.echo(path.requested)),
                                   "resolved": .string(AppError.echo(path.resolved))])
    }

    /// Opens the directory holding the path's last component, walking from the root with
    /// O_NOFOLLOW; the caller closes it.
    private static func openParent(_ path: ConfinedPath, field: String, verb: String) throws(AppError) -> Int32 {
        var fd = open(path.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError(path, field: field, verb, errno) }
        for component in path.components.dropLast() {
            let next = openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let code = errno
            close(fd)
            guard next >= 0 else {
                if code == ELOOP || code == ENOTDIR {
                    throw refusal(path, field: field, "\(AppError.echo(component)) is a symbolic link or not a directory")
                }
                throw ioError(path, field: field, verb, code)
            }
            fd = next
        }
        return fd
    }

    /// Reads a regular file of at most `maxBytes` bytes.
    static func read(_ path: ConfinedPath, field: String, maxBytes: Int) throws(AppError) -> [UInt8] {
        let directory = try openParent(path, field: field, verb: "read")
        defer { close(directory) }
        // O_NONBLOCK: a FIFO planted under a root must not block the server in open(2).
        let fd = openat(directory, path.components.last!, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ELOOP { throw refusal(path, field: field, "it is a symbolic link") }
            throw ioError(path, field: field, "read", code)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ioError(path, field: field, "read", errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw refusal(path, field: field, "it is not a regular file") }
        let size = Int(info.st_size)
        guard size <= maxBytes else {
            throw AppError(.limitExceeded, "File \(AppError.echo(path.resolved)) has \(size) bytes, over the limit of \(maxBytes)",
                                   details: ["field": .string(field), "limit": .int(maxBytes), "got": .int(size)])
        }
        _ = fcntl(fd, F_SETFL, 0)   // back to blocking reads
        // One buffer, filled in place; a file that grows while read is cut at limit + 1 (refused).
        var bytes = [UInt8](repeating: 0, count: min(size, maxBytes) + 1)
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw in
                #if canImport(Darwin)
                Darwin.read(fd, raw.baseAddress! + filled, raw.count - filled)
                #else
                Glibc.read(fd, raw.baseAddress! + filled, raw.count - filled)
                #endif
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError(path, field: field, "read", errno)
            }
            if n == 0 { break }
            filled += n
        }
        guard filled <= maxBytes else {
            throw AppError(.limitExceeded, "File \(AppError.echo(path.resolved)) grew over the limit of \(maxBytes) bytes",
                                   details: ["field": .string(field), "limit": .int(maxBytes)])
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// The temporary-file name prefix for `name` (the pid lets a later write find leftovers of a
    /// server that was killed).
    static func temporaryPrefix(_ name: String) -> String { ".\(name).maskgit-" }

    /// Writes `bytes` to the path atomically: a temporary file in the same directory (O_EXCL,
    /// O_NOFOLLOW, by descriptor), then renameat over the target, which replaces a symbolic link
    /// rather than following it.
    static func write(_ bytes: [UInt8], to path: ConfinedPath, field: String) throws(AppError) {
        let directory = try openParent(path, field: field, verb: "write")
        defer { close(directory) }
        let name = path.components.last!
        removeLeftovers(in: directory)
        let temporary = temporaryPrefix(name) + "\(getpid())-\(UUID().uuidString.prefix(8)).tmp"
        let fd = openat(directory, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ioError(path, field: field, "write", errno) }
        var offset = 0
        var failure: Int32?
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
                failure = errno
                break
            }
            offset += n
        }
        if close(fd) != 0, failure == nil { failure = errno }
        if failure == nil, renameat(directory, temporary, directory, name) != 0 { failure = errno }
        if let failure {
            unlinkat(directory, temporary, 0)
            throw ioError(path, field: field, "write", failure)
        }
    }

    /// Removes `.NAME.maskgit-PID-XXXXXXXX.tmp` files of processes that no longer exist.
    static func removeLeftovers(in directory: Int32) {
        let copy = dup(directory)
        guard copy >= 0, let dir = fdopendir(copy) else { return }
        defer { closedir(dir) }
        var stale: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix("."), name.hasSuffix(".tmp"), let marker = name.range(of: ".maskgit-", options: .backwards) else { continue }
            let tail = name[marker.upperBound...].dropLast(4)   // PID-XXXXXXXX
            guard let dash = tail.firstIndex(of: "-"), let pid = Int32(tail[..<dash]), pid > 0,
                  tail[tail.index(after: dash)...].count == 8 else { continue }
            if pid != getpid(), kill(pid, 0) != 0, errno == ESRCH { stale.append(name) }
        }
        for name in stale { unlinkat(dirfd(dir), name, 0) }
    }
}
