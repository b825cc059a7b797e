// outpaint {image | session, left?, top?, right?, bottom?, windowStride?, class?, decoding…, output?}

import JSONRPC
import Sessions

public struct OutpaintMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "outpaint" }
    public var paramNames: [String] { OutpaintRequest.keys + DecodingRequest.keys + ["output"] }

    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue {
        try params.rejectUnknown(Set(paramNames))
        let output = try ImageOutput(try params.object("output"), policy: server.images)
        let request = try OutpaintRequest(params, images: server.images)
        return try editAnswer(try server.app.outpaint(request, control: context.editControl), output: output)
    }
}
