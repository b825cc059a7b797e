// session.close {session}.

import JSONRPC
import Sessions

public struct SessionCloseMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "session.close" }
    public var paramNames: [String] { ["session"] }

    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue {
        try params.rejectUnknown(Set(paramNames))
        let id = try params.requiredString("session")
        try server.sessions.close(id)
        return .object(["closed": .string(id)])
    }
}
