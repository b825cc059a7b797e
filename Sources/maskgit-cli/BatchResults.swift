// The results JSONL of `maskgit-cli batch`: one line per item, appended with one write(2) each
// (a kill leaves at most a torn last line, which the reader skips and the next writer cuts), and the
// resume state read back from every results file in the output folder.

import Foundation
import JSONRPC

#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// What an earlier run recorded for an item.
struct RecordedResult: Equatable {
    var ok: Bool
    var output: String?
    var bytes: Int?
}

enum BatchResults {
    /// `results.jsonl`, or `results-I-of-N.jsonl` for a shard, so that workers never share a file.
    static func defaultName(shard: ShardSpec) -> String {
        shard.count > 1 ? "results-\(shard.index)-of-\(shard.count).jsonl" : "results.jsonl"
    }

    /// The last record of each id in every `results*.jsonl` of `directory` and in `extra`.
    static func load(directory: URL, extra: URL?) -> [String: RecordedResult] {
        var files = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasPrefix("results") && $0.hasSuffix(".jsonl") }
            .sorted()
            .map { directory.appendingPathComponent($0).standardizedFileURL }
        if let extra, !files.contains(extra.standardizedFileURL) { files.append(extra.standardizedFileURL) }
        var records: [String: RecordedResult] = [:]
        for file in files {
            guard let data = try? Data(contentsOf: file) else { continue }
            for line in data.split(separator: UInt8(ascii: "\n")) {
                guard let value = try? JSONParser.parse(Array(line)), let o = value.objectValue,
                      let id = o["id"]?.stringValue, let status = o["status"]?.stringValue else { continue }
                records[id] = RecordedResult(ok: status == "ok", output: o["file"]?.stringValue, bytes: o["bytes"]?.intValue)
            }
        }
        return records
    }

    /// Removes the temporary files a killed run left for these outputs (`.NAME.*.tmp`, written
    /// before the rename); only the shard that owns an item writes its output.
    static func removeStaleTemporaries(in directory: URL, outputs: Set<String>) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] where name.hasPrefix(".") && name.hasSuffix(".tmp") {
            let body = name.dropFirst().dropLast(4)
            guard let dot = body.lastIndex(of: "."), outputs.contains(String(body[..<dot])) else { continue }
            try? fm.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    /// Whether a recorded success is still complete: its file is there with the recorded size.
    static func isComplete(_ record: RecordedResult, outputDirectory: URL, expectedName: String) -> Bool {
        guard record.ok, record.output == expectedName, let bytes = record.bytes else { return false }
        let path = outputDirectory.appendingPathComponent(expectedName).path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? NSNumber else { return false }
        return size.intValue == bytes
    }
}

/// Appends one JSON line per call.
final class ResultsWriter {
    private let fd: Int32
    let url: URL

    init(url: URL) throws {
        self.url = url
        fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot open \(url.path): \(String(cString: strerror(errno)))"])
        }
        // A torn last line (the previous run was killed mid-write) is cut off, so the file is
        // valid JSONL again and the next record starts on a line of its own. Each results file
        // has one writer (one per shard).
        if let data = FileManager.default.contents(atPath: url.path), let last = data.last, last != UInt8(ascii: "\n") {
            let keep = data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
            guard ftruncate(fd, off_t(keep)) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot repair \(url.path): \(String(cString: strerror(errno)))"])
            }
        }
    }

    deinit { close(fd) }

    func append(_ value: JSONValue) throws {
        try write(value.serialized() + [UInt8(ascii: "\n")])
    }

    /// Writes the first half of a record only (the resume tests' torn line).
    func appendTorn(_ value: JSONValue) {
        let bytes = value.serialized()
        try? write(Array(bytes.prefix(bytes.count / 2)))
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot write \(url.path): \(String(cString: strerror(errno)))"])
            }
            offset += n
        }
    }
}
