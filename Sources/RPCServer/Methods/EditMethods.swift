// generate, inpaint, outpaint, classEdit: the edits, one-shot on an inline image or on a session.
//
// On a session the image and its cached token grid come from the current revision (empty after
// session.open), nothing already encoded is encoded again, what an edit encodes stays in the
// grid, and the result becomes a new revision (undo returns to the previous one).

import Dispatch
import Editing
import Engine
import Foundation
import ImageCodecs
import JSONRPC

/// One of the four edit methods.
public struct EditMethod: RPCMethod {
    public enum Kind: String, Sendable, CaseIterable {
        case generate, inpaint, outpaint, classEdit
    }

    public let kind: Kind
    let server: ServerContext

    public init(_ kind: Kind, context: ServerContext) {
        self.kind = kind
        server = context
    }

    public var name: String { kind.rawValue }

    private var knownKeys: Set<String> {
        var keys = decodingKeys.union(["model", "output", "class"])
        switch kind {
        case .generate: keys.formUnion(["openSession"])
        case .inpaint: keys.formUnion(["image", "session", "mask", "maskPolicy", "coverage", "feather", "composite"])
        case .outpaint: keys.formUnion(["image", "session", "left", "top", "right", "bottom", "windowStride"])
        case .classEdit: keys.formUnion(["image", "session", "mask", "rect", "maskPolicy", "coverage", "feather", "composite"])
        }
        return keys
    }

    public func handle(_ params: Params, context: RequestContext) throws(RPCError) -> JSONValue {
        try params.rejectUnknown(knownKeys)
        let started = DispatchTime.now()

        // The source: a session's current revision, an inline image, or nothing (generate).
        var snapshot: SessionSnapshot?
        var model: MaskGITModel
        var image: RGBImage?
        if kind != .generate, let sessionID = try params.string("session") {
            if params.has("image") {
                throw ServerError.invalidParams(field: "image", expected: "either \"image\" or \"session\", not both")
            }
            let s = try server.sessions.snapshot(sessionID)
            snapshot = s
            model = try server.model(named: s.model)
            if let requested = try params.string("model"), requested != s.model {
                throw ServerError.invalidParams(field: "model", expected: "the session's model \(s.model)", got: requested)
            }
            image = s.current.image
        } else {
            model = try server.model(params)
            if kind != .generate {
                guard let ref = params.value("image") else {
                    throw ServerError.invalidParams(field: "image", expected: "an image (base64 or {\"path\"}) or a \"session\"", got: "nothing")
                }
                image = try server.images.readImage(ref, field: "image")
            }
        }
        let output = try ImageOutput(try params.object("output"), policy: server.images)
        let seed = try params.seed()
        let editor: ImageEditor
        do { editor = try model.editor() } catch { throw rpcError(error, context: context, stage: "setup") }

        let edit: any ImageEdit
        switch kind {
        case .generate:
            let decoding = try params.decodingOptions(defaults: model.defaults.generate, model: model)
            edit = GenerateEdit(condition: try params.conditioning(model: model), decoding: decoding, seed: seed)
        case .inpaint:
            guard let image else { throw ServerError.invalidParams(field: "image", expected: "an image") }
            let decoding = try params.decodingOptions(defaults: model.defaults.inpaint, model: model)
            let mask = try params.mask("mask", width: image.width, height: image.height, policy: server.images, maxRects: server.options.maxMaskRects)
            edit = InpaintEdit(image: image, mask: mask, condition: try params.conditioning(model: model), decoding: decoding,
                               policy: try params.maskPolicy(default: model.defaults.inpaintPolicy), featherRadius: try params.feather(),
                               composite: try params.composite(default: model.defaults.inpaintComposite), seed: seed,
                               knownTokens: snapshot?.current.tokens)
        case .outpaint:
            guard let image else { throw ServerError.invalidParams(field: "image", expected: "an image") }
            let decoding = try params.decodingOptions(defaults: model.defaults.outpaint, model: model)
            let limit = 1 << 16
            let margins = EdgeInsets(left: try params.int("left", in: 0...limit) ?? 0, top: try params.int("top", in: 0...limit) ?? 0,
                                     right: try params.int("right", in: 0...limit) ?? 0, bottom: try params.int("bottom", in: 0...limit) ?? 0)
            guard margins.left + margins.top + margins.right + margins.bottom > 0 else {
                throw ServerError.invalidParams(field: "right", expected: "at least one of left, top, right, bottom above 0")
            }
            let newPixels = (image.width + margins.left + margins.right) * (image.height + margins.top + margins.bottom)
            guard newPixels <= server.images.limits.maxPixels else {
                throw ServerError.make(ServerError.limitExceeded, "The outpainted image would have \(newPixels) pixels, over the limit of \(server.images.limits.maxPixels)",
                                       details: ["limit": .int(server.images.limits.maxPixels), "got": .int(newPixels)])
            }
            let stride = try params.int("windowStride", in: 1...4096)
            // Bounded before any planning: the windows an outpaint may decode are at most the
            // candidate positions of OutpaintEdit.plan (every `stride` tokens plus the last one
            // on each axis of the canvas grid), and each costs `steps` transformer passes.
            let grid = model.predictor.gridShape, s = model.tokenizer.tokenStride
            let canvasRows = max(grid.height, (image.height + margins.top + margins.bottom + s - 1) / s)
            let canvasColumns = max(grid.width, (image.width + margins.left + margins.right + s - 1) / s)
            let step = min(stride ?? max(1, min(grid.width, grid.height) / 2), max(1, min(grid.width, grid.height)))
            func positions(_ extent: Int, _ size: Int) -> Int { (extent - size + step - 1) / step + 1 }
            let windows = positions(canvasRows, grid.height) * positions(canvasColumns, grid.width)
            guard windows <= server.options.maxOutpaintWindows else {
                throw ServerError.make(ServerError.limitExceeded,
                                       "The outpaint would plan up to \(windows) windows, over the limit of \(server.options.maxOutpaintWindows) (use a larger windowStride or smaller margins)",
                                       details: ["field": .string("windowStride"), "limit": .int(server.options.maxOutpaintWindows), "got": .int(windows)])
            }
            edit = OutpaintEdit(image: image, margins: margins, condition: try params.conditioning(model: model), decoding: decoding,
                                windowStride: stride, seed: seed, knownTokens: snapshot?.current.tokens)
        case .classEdit:
            guard let image else { throw ServerError.invalidParams(field: "image", expected: "an image") }
            let decoding = try params.decodingOptions(defaults: model.defaults.classEdit, model: model)
            let region: PixelMask
            if let rect = try params.object("rect") {
                let r = try rect.pixelRect(imageWidth: image.width, imageHeight: image.height)
                region = PixelMask(width: image.width, height: image.height, rectangles: [r])
            } else {
                region = try params.mask("mask", width: image.width, height: image.height, policy: server.images, maxRects: server.options.maxMaskRects)
            }
            guard case .classLabel(let target) = try params.conditioning(model: model, required: true) else {
                throw ServerError.invalidParams(field: "class", expected: "a target class")
            }
            // The official composite goes with the official latent mask unless a policy is named.
            let composite = try params.composite(default: model.defaults.classEditComposite)
            let policy = try params.maskPolicy(default: composite == .official ? .official
                                                   : (model.defaults.classEditPolicy == .official ? .officialBoundingBox : model.defaults.classEditPolicy))
            edit = ClassEdit(image: image, region: region, targetClass: target, decoding: decoding,
                             policy: policy, featherRadius: try params.feather(),
                             composite: composite, seed: seed, knownTokens: snapshot?.current.tokens)
        }

        let result: EditResult
        let counter = StepCounter()
        do {
            result = try editor.apply(edit, progress: server.progressHandler(context, counter: counter))
        } catch {
            throw rpcError(error, context: context, stage: "decoding", completedSteps: counter.steps.load(ordering: .relaxed))
        }
        try context.checkCancelled(stage: "encoding")

        var answer: JSONObject = [
            "model": .string(model.name),
            "seed": .number(String(result.seed)),
            "width": .int(result.image.width),
            "height": .int(result.image.height),
            "featherRadius": .double(Double(result.featherRadius)),
            "band": .int(result.band),
            "windows": .array(result.windows.map(describe)),
        ]
        if let s = snapshot {
            let (committed, evicted) = try server.sessions.commit(s.id, base: s.revision, revision: Revision(
                image: result.image, tokens: result.tokens, operation: kind.rawValue, seed: result.seed))
            answer["session"] = sessionSummary(committed)
            if !evicted.isEmpty { answer["evictedSessions"] = .array(evicted.map { .string($0) }) }
        } else if kind == .generate, try params.bool("openSession") == true {
            let (id, evicted) = try server.sessions.open(model: model.name, revision: Revision(
                image: result.image, tokens: result.tokens, operation: "generate", seed: result.seed))
            answer["session"] = sessionSummary(try server.sessions.snapshot(id))
            if !evicted.isEmpty { answer["evictedSessions"] = .array(evicted.map { .string($0) }) }
        }
        if output.transport != .none { answer["image"] = try output.deliver(result.image) }
        let millis = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
        answer["timings"] = .object(["totalMs": .double((millis * 10).rounded() / 10)])
        return .object(answer)
    }

    /// A window and its token mask, as rows of "0"/"1" so a client can draw it.
    private func describe(_ w: EditWindow) -> JSONValue {
        var rows: [JSONValue] = []
        for r in 0..<w.gridShape.height {
            var line = ""
            for c in 0..<w.gridShape.width { line.append(w.tokenMask[r * w.gridShape.width + c] ? "1" : "0") }
            rows.append(.string(line))
        }
        return .object([
            "x": .int(w.x), "y": .int(w.y), "width": .int(w.width), "height": .int(w.height),
            "scale": .double(w.scale),
            "grid": .object(["height": .int(w.gridShape.height), "width": .int(w.gridShape.width)]),
            "tokenMask": .object(["regenerated": .int(w.regeneratedCount), "total": .int(w.gridShape.count), "rows": .array(rows)]),
        ])
    }
}

/// The short description of a session used in results.
func sessionSummary(_ s: SessionSnapshot) -> JSONValue {
    let known = s.current.tokens.tokens.reduce(0) { $0 + ($1 == TokenGrid.missing ? 0 : 1) }
    return .object([
        "id": .string(s.id), "model": .string(s.model), "revision": .int(s.revision),
        "width": .int(s.current.image.width), "height": .int(s.current.image.height),
        "channels": .int(s.current.image.channels),
        "operation": .string(s.current.operation),
        "canUndo": .bool(s.canUndo), "canRedo": .bool(s.canRedo), "revisions": .int(s.revisionCount),
        "tokens": .object(["height": .int(s.current.tokens.height), "width": .int(s.current.tokens.width),
                           "known": .int(known)]),
        "bytes": .int(s.bytes),
    ])
}
