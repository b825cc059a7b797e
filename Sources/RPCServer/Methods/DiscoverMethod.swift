// rpc.discover: the OpenRPC document (Protocol/openrpc.json).

import JSONRPC
import Sessions

public struct DiscoverMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "rpc.discover" }
    public var runsImmediately: Bool { true }
    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue { server.openRPCDocument }
}
