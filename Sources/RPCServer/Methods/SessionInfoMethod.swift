// session.info {session}: answered at once, even while an edit runs.

import JSONRPC
import Sessions

public struct SessionInfoMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "session.info" }
    public var runsImmediately: Bool { true }
    public var paramNames: [String] { ["session"] }

    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue {
        try params.rejectUnknown(Set(paramNames))
        return sessionSummary(try server.sessions.snapshot(try params.requiredString("session")))
    }
}
