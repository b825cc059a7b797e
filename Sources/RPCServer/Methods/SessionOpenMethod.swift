// session.open {image, model?}: decodes the image and keeps it with an empty token grid (every
// token `missing`): opening encodes nothing. Each edit encodes only the window its context needs
// where the grid has no tokens yet, and the session keeps what it encoded, so a later edit of the
// same area re-encodes nothing and one elsewhere encodes only its own window.
// `reuseTokens: true` starts the grid from an open session's revision with the same RGB samples
// (an editor reopening a result it was sent): the answer's `tokensFrom` names it.

import JSONRPC
import Sessions

public struct SessionOpenMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "session.open" }
    public var paramNames: [String] { ["image", "model", "reuseTokens"] }

    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue {
        try params.rejectUnknown(Set(paramNames))
        let model = try params.string("model")
        _ = try server.app.model(model)
        let reuse = try params.bool("reuseTokens") ?? false
        guard let ref = params.value("image") else {
            throw AppError.invalidParams(field: "image", expected: "an image (base64 or {\"path\"})", got: "nothing")
        }
        let image = try server.images.readImage(ref, field: "image")
        let (snapshot, evicted, source) = try server.app.openSession(image: image, model: model, reuseTokens: reuse,
                                                                     cancellation: context.cancellation)
        var answer = sessionSummary(snapshot, evicted: evicted).objectValue ?? [:]
        if let source {
            answer["tokensFrom"] = .object(["session": .string(source.session), "revision": .int(source.revision),
                                            "known": .int(source.known)])
        }
        return .object(answer)
    }
}
