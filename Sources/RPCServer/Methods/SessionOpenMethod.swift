// session.open {image, model?}: decodes the image and keeps it with an empty token grid (every
// token `missing`): opening encodes nothing. Each edit encodes only the window its context needs
// where the grid has no tokens yet, and the session keeps what it encoded, so a later edit of the
// same area re-encodes nothing and one elsewhere encodes only its own window.

import JSONRPC
import Sessions

public struct SessionOpenMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "session.open" }
    public var paramNames: [String] { ["image", "model"] }

    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue {
        try params.rejectUnknown(Set(paramNames))
        let model = try params.string("model")
        _ = try server.app.model(model)
        guard let ref = params.value("image") else {
            throw AppError.invalidParams(field: "image", expected: "an image (base64 or {\"path\"})", got: "nothing")
        }
        let image = try server.images.readImage(ref, field: "image")
        let (snapshot, evicted) = try server.app.openSession(image: image, model: model, cancellation: context.cancellation)
        return sessionSummary(snapshot, evicted: evicted)
    }
}
