// session.export {session, output?}: the current image (base64 PNG by default, or a file).

import JSONRPC
import Sessions

public struct SessionExportMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "session.export" }
    public var paramNames: [String] { ["session", "output"] }

    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue {
        try params.rejectUnknown(Set(paramNames))
        let output = try ImageOutput(try params.object("output"), policy: server.images)
        let snapshot = try server.sessions.snapshot(try params.requiredString("session"))
        var answer = sessionSummary(snapshot).objectValue ?? [:]
        answer["image"] = try output.deliver(snapshot.current.image)
        return .object(answer)
    }
}
