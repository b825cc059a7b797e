// The shapes results share: a session's summary, an edit's answer (its windows drawn as rows of
// "0"/"1"), timings.

import Editing
import JSONRPC
import Sessions

/// The short description of a session used in results (with the sessions evicted to make room,
/// when any).
func sessionSummary(_ s: SessionSnapshot, evicted: [String] = []) -> JSONValue {
    let known = s.current.tokens.tokens.reduce(0) { $0 + ($1 == TokenGrid.missing ? 0 : 1) }
    var answer: JSONObject = [
        "id": .string(s.id), "model": .string(s.model), "revision": .int(s.revision),
        "width": .int(s.current.image.width), "height": .int(s.current.image.height),
        "channels": .int(s.current.image.channels),
        "operation": .string(s.current.operation.rawValue),
        "canUndo": .bool(s.canUndo), "canRedo": .bool(s.canRedo), "revisions": .int(s.revisionCount),
        "tokens": .object(["height": .int(s.current.tokens.height), "width": .int(s.current.tokens.width),
                           "known": .int(known)]),
        "bytes": .int(s.bytes),
    ]
    if !evicted.isEmpty { answer["evictedSessions"] = .array(evicted.map { .string($0) }) }
    return .object(answer)
}

/// The answer of an edit method: the result's facts, its windows, the session it went to, the
/// image (unless `output.transport` is "none") and the time taken.
func editAnswer(_ outcome: EditOutcome, output: ImageOutput) throws(AppError) -> JSONValue {
    let result = outcome.result
    var answer: JSONObject = [
        "model": .string(outcome.model),
        "seed": .number(String(result.seed)),
        "width": .int(result.image.width),
        "height": .int(result.image.height),
        "featherRadius": .double(Double(result.featherRadius)),
        "band": .int(result.band),
        "windows": .array(result.windows.map(describe)),
    ]
    if let session = outcome.session {
        answer["session"] = sessionSummary(session)
        if !outcome.evicted.isEmpty { answer["evictedSessions"] = .array(outcome.evicted.map { .string($0) }) }
    }
    if output.transport != .none { answer["image"] = try output.deliver(result.image) }
    answer["timings"] = .object(["totalMs": .double((outcome.milliseconds * 10).rounded() / 10)])
    return .object(answer)
}

/// A window and its token mask, as rows of "0"/"1" so a client can draw it.
private func describe(_ w: EditWindow) -> JSONValue {
    var rows: [JSONValue] = []
    for r in 0..<w.gridShape.height {
        var line = ""
        for c in 0..<w.gridShape.width { line.append(w.tokenMask[r * w.gridShape.width + c] ? "1" : "0") }
        rows.append(.string(line))
    }
    var object: JSONObject = [
        "x": .int(w.x), "y": .int(w.y), "width": .int(w.width), "height": .int(w.height),
        "scale": .double(w.scale),
        "grid": .object(["height": .int(w.gridShape.height), "width": .int(w.gridShape.width)]),
        "tokenMask": .object(["regenerated": .int(w.regeneratedCount), "total": .int(w.gridShape.count), "rows": .array(rows)]),
    ]
    if let steps = w.steps { object["steps"] = .int(steps) }
    return .object(object)
}
