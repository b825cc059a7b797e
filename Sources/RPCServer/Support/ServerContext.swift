// ServerContext: what the methods share — the loaded models (immutable), the session store,
// the image policy and the static facts `initialize` reports.

import Editing
import Engine
import Foundation
import JSONRPC
import Synchronization

/// The protocol version this server speaks (date-stamped; see Protocol/CHANGELOG.md).
public let protocolVersion = "2026-11-29"
public let serverVersion = "0.1.0"

public final class ServerContext: Sendable {
    /// Models by name; `defaultModel` names the one used when a request names none.
    public let models: [String: MaskGITModel]
    public let modelOrder: [String]
    public let defaultModel: String
    public let sessions: SessionStore
    public let images: ImagePolicy
    public let options: ServerOptions
    /// The OpenRPC document served by `rpc.discover`.
    public let openRPCDocument: JSONValue

    public init(models: [MaskGITModel], sessions: SessionStore, images: ImagePolicy, options: ServerOptions,
                openRPCDocument: JSONValue) {
        precondition(!models.isEmpty, "a server needs a model")
        var table: [String: MaskGITModel] = [:]
        for model in models { table[model.name] = model }
        self.models = table
        modelOrder = models.map(\.name)
        defaultModel = models[0].name
        self.sessions = sessions
        self.images = images
        self.options = options
        self.openRPCDocument = openRPCDocument
    }

    /// The model a request names (`model`), or the default.
    func model(_ params: Params) throws(RPCError) -> MaskGITModel {
        let name = try params.string("model") ?? defaultModel
        guard let model = models[name] else {
            throw ServerError.make(ServerError.modelNotFound, "No model named \(name)",
                                   details: ["field": .string(params.field("model")), "available": .array(modelOrder.map { .string($0) })])
        }
        return model
    }

    func model(named name: String) throws(RPCError) -> MaskGITModel {
        guard let model = models[name] else {
            throw ServerError.make(ServerError.modelNotFound, "No model named \(name)", details: ["available": .array(modelOrder.map { .string($0) })])
        }
        return model
    }

    /// A model's description for `models.list` and `initialize`.
    func describe(_ model: MaskGITModel, includeClasses: Bool = true) -> JSONValue {
        var object: JSONObject = [
            "name": .string(model.name),
            "default": .bool(model.name == defaultModel),
            "nativeSize": .int(model.nativeSize),
            "tokenStride": .int(model.tokenizer.tokenStride),
            "grid": .object(["height": .int(model.predictor.gridShape.height), "width": .int(model.predictor.gridShape.width)]),
            "codebookSize": .int(model.predictor.codebookSize),
            "numClasses": .int(model.classNames.count),
            "capabilities": .object([
                "generate": .bool(true), "inpaint": .bool(true), "outpaint": .bool(true), "classEdit": .bool(true),
                "classifierFreeGuidance": .bool(model.hasNullClass),
                "unconditional": .bool(model.hasNullClass),
                "samplers": .array([.string("confidence"), .string("halton")]),
                "schedules": .array(["cosine", "linear", "square", "cubic", "exponential", "log", "arccos"].map { .string($0) }),
                "maskPolicies": .array([.string("anyOverlap"), .string("officialBoundingBox"), .string("official"), .string("coverage")]),
                "composites": .array([.string("mask"), .string("tokens"), .string("official")]),
                "rng": .array([.string("project"), .string("jax"), .string("jaxLegacy")]),
            ]),
            "defaults": describe(model.defaults, guidance: model.hasNullClass ? MaskGITModel.defaultGuidance : 0),
        ]
        if includeClasses { object["classes"] = .array(model.classNames.map { .string($0) }) }
        return .object(object)
    }

    /// The defaults a model serves (`models.list` → `defaults`).
    func describe(_ d: ModelDefaults, guidance: Double) -> JSONValue {
        func decoding(_ o: DecodingOptions) -> JSONObject {
            let rng: String
            switch o.random {
            case .splitMix: rng = "project"
            case .jax(.partitionable): rng = "jax"
            case .jax(.legacy): rng = "jaxLegacy"
            }
            return ["steps": .int(o.steps), "startStep": .int(o.startStep), "schedule": .string("cosine"),
                    "choiceTemperature": .double(4.5), "rng": .string(rng), "guidance": .double(guidance)]
        }
        func policy(_ p: TokenMaskPolicy) -> String {
            switch p {
            case .anyOverlap: return "anyOverlap"
            case .officialBoundingBox: return "officialBoundingBox"
            case .official: return "official"
            case .coverage: return "coverage"
            }
        }
        var inpaint = decoding(d.inpaint)
        inpaint["composite"] = .string(d.inpaintComposite.rawValue)
        inpaint["maskPolicy"] = .string(policy(d.inpaintPolicy))
        var classEdit = decoding(d.classEdit)
        classEdit["composite"] = .string(d.classEditComposite.rawValue)
        classEdit["maskPolicy"] = .string(policy(d.classEditPolicy))
        return .object([
            "profile": .string(d.profile.rawValue),
            "generate": .object(decoding(d.generate)),
            "inpaint": .object(inpaint),
            "outpaint": .object(decoding(d.outpaint)),
            "classEdit": .object(classEdit),
        ])
    }

    /// Reports an edit's progress and stops it when cancelled: returns the `progress` closure
    /// the editing library takes.
    func progressHandler(_ context: RequestContext, counter: StepCounter) -> (EditProgress) -> Bool {
        return { p in
            counter.steps.store(p.window * p.decoding.totalSteps + p.decoding.stepsDone, ordering: .relaxed)
            let total = Double(p.windowCount * p.decoding.totalSteps)
            let done = Double(p.window * p.decoding.totalSteps + p.decoding.stepsDone)
            context.progress?.report(progress: done, total: total,
                                     message: "window \(p.window + 1)/\(p.windowCount), step \(p.decoding.stepsDone)/\(p.decoding.totalSteps)")
            return !context.cancellation.isCancelled
        }
    }
}

/// Decoding steps completed so far by one request (reported when it is cancelled).
final class StepCounter: Sendable {
    let steps = Atomic<Int>(0)
}

/// Maps library errors to JSON-RPC errors.
func rpcError(_ error: any Error, context: RequestContext, stage: String, completedSteps: Int? = nil) -> RPCError {
    if let e = error as? RPCError { return e }
    if let e = error as? EditingError {
        switch e {
        case .cancelled: return RequestContext.cancelledError(stage: stage, completedSteps: completedSteps)
        case .maskSize(let mw, let mh, let iw, let ih):
            return ServerError.make(ServerError.maskSizeMismatch, "Mask is \(mw)x\(mh) but the image is \(iw)x\(ih)",
                                    details: ["expected": .string("\(iw)x\(ih)"), "got": .string("\(mw)x\(mh)")])
        case .emptyMask: return ServerError.invalidParams(field: "mask", expected: "a mask selecting at least one pixel", got: "an empty mask")
        case .invalidParameter(let name, let value): return ServerError.invalidParams(field: name, expected: "a valid value", got: value)
        default: break
        }
    }
    if let e = error as? DecodingError {
        switch e {
        case .cancelled: return RequestContext.cancelledError(stage: stage, completedSteps: completedSteps)
        case .invalidOption(let name, let value): return ServerError.invalidParams(field: name, expected: "a valid value", got: value)
        case .guidanceUnavailable, .unconditionalUnavailable:
            return ServerError.make(ServerError.unsupported, "\(e)")
        case .classOutOfRange(let label, let n):
            return ServerError.invalidParams(field: "class", expected: "a class label in 0...\(n - 1)", got: String(label))
        default: break
        }
    }
    return RPCError(code: StandardErrorCode.internalError, message: "Internal error: \(error)",
                    data: .object(["reason": .string("internal"), "stage": .string(stage)]))
}
