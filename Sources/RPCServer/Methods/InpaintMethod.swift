// inpaint {image | session, mask, class?, maskPolicy?, coverage?, feather?, composite?, decoding…, output?}

import JSONRPC
import Sessions

public struct InpaintMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "inpaint" }
    public var paramNames: [String] { InpaintRequest.keys + DecodingRequest.keys + ["output"] }

    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue {
        try params.rejectUnknown(Set(paramNames))
        let output = try ImageOutput(try params.object("output"), policy: server.images)
        let request = try InpaintRequest(params, images: server.images)
        return try editAnswer(try server.app.inpaint(request, control: context.editControl), output: output)
    }
}
