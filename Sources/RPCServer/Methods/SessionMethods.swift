// session.open, session.info, session.undo, session.redo, session.export, session.close,
// session.list: the session cache that keeps an image's token grid between edits.

import Editing
import Engine
import Foundation
import JSONRPC

/// `session.open {image, model?}`: decodes the image and keeps it with an empty token grid
/// (every token `missing`): opening encodes nothing. Each edit encodes only the window its
/// context needs where the grid has no tokens yet, and the session keeps what it encoded, so a
/// later edit of the same area re-encodes nothing and one elsewhere encodes only its own window.
public struct SessionOpenMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "session.open" }

    public func handle(_ params: Params, context: RequestContext) throws(RPCError) -> JSONValue {
        try params.rejectUnknown(["image", "model"])
        let model = try server.model(params)
        guard let ref = params.value("image") else {
            throw ServerError.invalidParams(field: "image", expected: "an image (base64 or {\"path\"})", got: "nothing")
        }
        let image = try server.images.readImage(ref, field: "image")
        try context.checkCancelled(stage: "decoding")
        let shape: GridShape
        do { shape = try model.editor().tokenShape(width: image.width, height: image.height) } catch {
            throw rpcError(error, context: context, stage: "opening")
        }
        let tokens = TokenGrid(width: shape.width, height: shape.height)
        let (id, evicted) = try server.sessions.open(model: model.name, revision: Revision(image: image, tokens: tokens, operation: "open", seed: nil))
        var answer = sessionSummary(try server.sessions.snapshot(id)).objectValue ?? [:]
        if !evicted.isEmpty { answer["evictedSessions"] = .array(evicted.map { .string($0) }) }
        return .object(answer)
    }
}

/// `session.info {session}`: answered at once, even while an edit runs.
public struct SessionInfoMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "session.info" }
    public var runsImmediately: Bool { true }

    public func handle(_ params: Params, context: RequestContext) throws(RPCError) -> JSONValue {
        try params.rejectUnknown(["session"])
        return sessionSummary(try server.sessions.snapshot(try params.requiredString("session")))
    }
}

/// `session.undo` / `session.redo {session, output?}`: moves to the previous or next revision
/// and returns it (with its image unless `output.transport` is "none").
public struct SessionMoveMethod: RPCMethod {
    let server: ServerContext
    let delta: Int
    public init(context: ServerContext, undo: Bool) {
        server = context
        delta = undo ? -1 : 1
    }
    public var name: String { delta < 0 ? "session.undo" : "session.redo" }

    public func handle(_ params: Params, context: RequestContext) throws(RPCError) -> JSONValue {
        try params.rejectUnknown(["session", "output"])
        let output = try ImageOutput(try params.object("output"), policy: server.images)
        let snapshot = try server.sessions.move(try params.requiredString("session"), by: delta)
        var answer = sessionSummary(snapshot).objectValue ?? [:]
        if output.transport != .none { answer["image"] = try output.deliver(snapshot.current.image) }
        return .object(answer)
    }
}

/// `session.export {session, output?}`: the current image (base64 PNG by default, or a file).
public struct SessionExportMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "session.export" }

    public func handle(_ params: Params, context: RequestContext) throws(RPCError) -> JSONValue {
        try params.rejectUnknown(["session", "output"])
        let output = try ImageOutput(try params.object("output"), policy: server.images)
        let snapshot = try server.sessions.snapshot(try params.requiredString("session"))
        var answer = sessionSummary(snapshot).objectValue ?? [:]
        answer["image"] = try output.deliver(snapshot.current.image)
        return .object(answer)
    }
}

/// `session.close {session}`.
public struct SessionCloseMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "session.close" }

    public func handle(_ params: Params, context: RequestContext) throws(RPCError) -> JSONValue {
        try params.rejectUnknown(["session"])
        let id = try params.requiredString("session")
        try server.sessions.close(id)
        return .object(["closed": .string(id)])
    }
}

/// `session.list`: every open session, most recently used first; answered at once.
public struct SessionListMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "session.list" }
    public var runsImmediately: Bool { true }

    public func handle(_ params: Params, context: RequestContext) throws(RPCError) -> JSONValue {
        try params.rejectUnknown([])
        let sessions = server.sessions.list()
        return .object([
            "sessions": .array(sessions.map(sessionSummary)),
            "bytes": .int(sessions.reduce(0) { $0 + $1.bytes }),
            "limits": .object(["maxSessions": .int(server.sessions.limits.maxSessions),
                               "memoryBudgetBytes": .int(server.sessions.limits.memoryBudgetBytes)]),
        ])
    }
}
