// session.undo {session, output?}: moves to the previous revision and returns it (with its image
// unless `output.transport` is "none").

import JSONRPC
import Sessions

public struct SessionUndoMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "session.undo" }
    public var paramNames: [String] { ["session", "output"] }

    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue {
        try params.rejectUnknown(Set(paramNames))
        return try moveAnswer(server, params, by: -1)
    }
}

/// session.undo and session.redo: the revision `delta` away, with its image unless
/// `output.transport` is "none".
func moveAnswer(_ server: ServerContext, _ params: Params, by delta: Int) throws(AppError) -> JSONValue {
    let output = try ImageOutput(try params.object("output"), policy: server.images)
    let snapshot = try server.sessions.move(try params.requiredString("session"), by: delta)
    var answer = sessionSummary(snapshot).objectValue ?? [:]
    if output.transport != .none { answer["image"] = try output.deliver(snapshot.current.image) }
    return .object(answer)
}
