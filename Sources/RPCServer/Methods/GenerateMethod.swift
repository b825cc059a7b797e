// generate {model?, class?, openSession?, decoding…, output?}: a new image of the model's native size.

import JSONRPC
import Sessions

public struct GenerateMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "generate" }
    public var paramNames: [String] { GenerateRequest.keys + DecodingRequest.keys + ["output"] }

    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue {
        try params.rejectUnknown(Set(paramNames))
        let output = try ImageOutput(try params.object("output"), policy: server.images)
        let request = try GenerateRequest(params)
        return try editAnswer(try server.app.generate(request, control: context.editControl), output: output)
    }
}
