// session.redo {session, output?}: moves to the next revision (see session.undo).

import JSONRPC
import Sessions

public struct SessionRedoMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "session.redo" }
    public var paramNames: [String] { ["session", "output"] }

    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue {
        try params.rejectUnknown(Set(paramNames))
        return try moveAnswer(server, params, by: 1)
    }
}
