// classEdit {image | session, rect | mask, class, maskPolicy?, coverage?, feather?, composite?, decoding…, output?}

import JSONRPC
import Sessions

public struct ClassEditMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "classEdit" }
    public var paramNames: [String] { ClassEditRequest.keys + DecodingRequest.keys + ["output"] }

    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue {
        try params.rejectUnknown(Set(paramNames))
        let output = try ImageOutput(try params.object("output"), policy: server.images)
        let request = try ClassEditRequest(params, images: server.images)
        return try editAnswer(try server.app.classEdit(request, control: context.editControl), output: output)
    }
}
