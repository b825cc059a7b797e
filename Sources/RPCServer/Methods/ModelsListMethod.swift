// models.list {classes?}: every model with its classes, capabilities (the vocabularies) and defaults.

import JSONRPC
import Sessions

public struct ModelsListMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "models.list" }
    public var runsImmediately: Bool { true }
    public var paramNames: [String] { ["classes"] }

    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue {
        try params.rejectUnknown(Set(paramNames))
        let classes = try params.bool("classes") ?? true
        return .object(["models": .array(server.modelOrder.compactMap { server.models[$0].map { server.describe($0, includeClasses: classes) } })])
    }
}
