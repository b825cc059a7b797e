// ServerContext: what the methods share: the application (EditService: the loaded models and
// the session store), the image policy, the server's limits and the OpenRPC document, and how
// a model is described to clients (models.list, initialize).

import Editing
import Engine
import Foundation
import ImageCodecs
import JSONRPC
import Sessions

/// The protocol version this server speaks (date-stamped; see Protocol/CHANGELOG.md).
public let protocolVersion = "2026-11-29"
public let serverVersion = "0.1.0"

public final class ServerContext: Sendable {
    /// The application: models, sessions, the edits.
    public let app: EditService
    public let images: ImagePolicy
    public let options: ServerOptions
    /// The OpenRPC document served by `rpc.discover`.
    public let openRPCDocument: JSONValue

    public var models: [String: MaskGITModel] { app.models }
    public var modelOrder: [String] { app.modelOrder }
    public var defaultModel: String { app.defaultModel }
    public var sessions: SessionStore { app.sessions }

    public init(models: [MaskGITModel], sessions: SessionStore, images: ImagePolicy, options: ServerOptions,
                openRPCDocument: JSONValue) {
        var limits = EditLimits()
        limits.maxMaskRects = options.maxMaskRects
        limits.maxOutpaintWindows = options.maxOutpaintWindows
        limits.maxPixels = images.limits.maxPixels
        app = EditService(models: models, sessions: sessions, limits: limits)
        self.images = images
        self.options = options
        self.openRPCDocument = openRPCDocument
    }

    /// A model's description for `models.list` and `initialize`. The vocabularies come from
    /// their enums (Sessions/Vocabularies.swift).
    func describe(_ model: MaskGITModel, includeClasses: Bool = true) -> JSONValue {
        var capabilities: JSONObject = [
            "generate": .bool(true), "inpaint": .bool(true), "outpaint": .bool(true), "classEdit": .bool(true),
            "classifierFreeGuidance": .bool(model.hasNullClass),
            "unconditional": .bool(model.hasNullClass),
        ]
        for (name, values) in Vocabularies.editing { capabilities[name] = .array(values.map { .string($0) }) }
        var object: JSONObject = [
            "name": .string(model.name),
            "default": .bool(model.name == defaultModel),
            "nativeSize": .int(model.nativeSize),
            "tokenStride": .int(model.tokenizer.tokenStride),
            "grid": .object(["height": .int(model.predictor.gridShape.height), "width": .int(model.predictor.gridShape.width)]),
            "codebookSize": .int(model.predictor.codebookSize),
            "numClasses": .int(model.classNames.count),
            "capabilities": .object(capabilities),
            "defaults": describe(model.defaults, guidance: model.hasNullClass ? MaskGITModel.defaultGuidance : 0),
        ]
        if includeClasses { object["classes"] = .array(model.classNames.map { .string($0) }) }
        return .object(object)
    }

    /// The defaults a model serves (`models.list` → `defaults`).
    func describe(_ d: ModelDefaults, guidance: Double) -> JSONValue {
        func decoding(_ o: DecodingOptions) -> JSONObject {
            ["steps": .int(o.steps), "startStep": .int(o.startStep),
             "schedule": .string((ScheduleName(o.schedule) ?? .cosine).rawValue),
             "choiceTemperature": .double(4.5), "rng": .string(RNGName(o.random).rawValue), "guidance": .double(guidance)]
        }
        var inpaint = decoding(d.inpaint)
        inpaint["composite"] = .string(d.inpaintComposite.rawValue)
        inpaint["maskPolicy"] = .string(MaskPolicyName(d.inpaintPolicy).rawValue)
        var classEdit = decoding(d.classEdit)
        classEdit["composite"] = .string(d.classEditComposite.rawValue)
        classEdit["maskPolicy"] = .string(MaskPolicyName(d.classEditPolicy).rawValue)
        return .object([
            "profile": .string(d.profile.rawValue),
            "generate": .object(decoding(d.generate)),
            "inpaint": .object(inpaint),
            "outpaint": .object(decoding(d.outpaint)),
            "classEdit": .object(classEdit),
        ])
    }
}
