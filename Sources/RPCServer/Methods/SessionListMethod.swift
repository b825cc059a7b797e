// session.list: every open session, most recently used first; answered at once.

import JSONRPC
import Sessions

public struct SessionListMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "session.list" }
    public var runsImmediately: Bool { true }

    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue {
        try params.rejectUnknown(Set(paramNames))
        let sessions = server.sessions.list()
        return .object([
            "sessions": .array(sessions.map { sessionSummary($0) }),
            "bytes": .int(sessions.reduce(0) { $0 + $1.bytes }),
            "limits": .object(["maxSessions": .int(server.sessions.limits.maxSessions),
                               "memoryBudgetBytes": .int(server.sessions.limits.memoryBudgetBytes)]),
        ])
    }
}
