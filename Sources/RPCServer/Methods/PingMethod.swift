// ping: `{}` at once.

import JSONRPC
import Sessions

public struct PingMethod: RPCMethod {
    public init() {}
    public var name: String { "ping" }
    public var runsImmediately: Bool { true }
    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue { .object([:]) }
}
