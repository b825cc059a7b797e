// Progress of `maskgit-cli batch` on stderr: a bar redrawn in place with rate and ETA when stderr
// is a terminal, one plain line per item otherwise (logs, GNU parallel, Ray, Kubernetes).

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class BatchProgress {
    let total: Int
    let label: String
    let isTerminal: Bool
    let quiet: Bool
    private let started = Date()
    private(set) var done = 0
    private(set) var failed = 0

    init(total: Int, label: String, quiet: Bool, isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.total = total
        self.label = label
        self.quiet = quiet
        self.isTerminal = isTerminal
        if isTerminal && !quiet && total > 0 { draw() }
    }

    var elapsed: Double { Date().timeIntervalSince(started) }
    var rate: Double { elapsed > 0 ? Double(done) / elapsed : 0 }

    /// Records one finished item.
    func step(id: String, ok: Bool, seconds: Double, detail: String? = nil) {
        done += 1
        if !ok { failed += 1 }
        guard !quiet else { return }
        if isTerminal {
            draw()
        } else {
            let status = ok ? "ok" : "error" + (detail.map { " (\($0))" } ?? "")
            BatchLog.line("\(label)[\(done)/\(total)] \(id) \(status) \(String(format: "%.2f", seconds)) s | "
                          + "\(String(format: "%.2f", rate)) items/s, ETA \(Self.duration(eta))")
        }
    }

    /// Ends the bar's line.
    func finish() {
        if isTerminal && !quiet && total > 0 { BatchLog.write("\n") }
    }

    private var eta: Double? {
        guard done > 0, rate > 0 else { return nil }
        return Double(total - done) / rate
    }

    private func draw() {
        let width = 28
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "=", count: filled) + (filled < width ? ">" + String(repeating: " ", count: width - filled - 1) : "")
        let errors = failed > 0 ? ", \(failed) failed" : ""
        BatchLog.write("\r\u{1B}[K\(label)[\(bar)] \(done)/\(total) \(String(format: "%.2f", rate)) items/s ETA \(Self.duration(eta))\(errors)")
    }

    static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "--" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, s % 3600 / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}

enum BatchLog {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func line(_ text: String) { write(text + "\n") }
}
