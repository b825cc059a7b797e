// session.fork {session, revision?}: a new session holding one revision of an open session (its
// current one unless `revision` is given) with its image and token grid, so a branch can be
// edited without re-encoding anything while the original keeps its own history. An editor that
// keeps each result as a layer forks the result, so editing that layer later is as cheap as
// editing the source.

import JSONRPC
import Sessions

public struct SessionForkMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "session.fork" }
    public var paramNames: [String] { ["session", "revision"] }

    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue {
        try params.rejectUnknown(Set(paramNames))
        let id = try params.requiredString("session")
        let revision = try params.int("revision", in: 0...Int(Int32.max))
        let (snapshot, evicted, from) = try server.sessions.fork(id, revision: revision)
        var answer = sessionSummary(snapshot, evicted: evicted).objectValue ?? [:]
        answer["forkedFrom"] = .object(["session": .string(id), "revision": .int(from)])
        return .object(answer)
    }
}
