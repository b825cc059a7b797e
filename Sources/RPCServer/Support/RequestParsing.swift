// Request params → the application's typed requests (Sessions/Requests.swift). Only the JSON
// shape is checked here (types, required members, known keys, names in closed vocabularies);
// the values are validated once, by EditService, against RequestBounds and the model.

import Editing
import ImageCodecs
import JSONRPC
import Sessions

extension Params {
    /// Throws -32602 naming the first key that is not one of `R`'s (or `extra`).
    func rejectUnknown<R: WireRequest>(_ type: R.Type, extra: [String] = []) throws(AppError) {
        try rejectUnknown(Set(R.keys + extra))
    }

    /// A name of a closed vocabulary.
    func name<V: WireVocabulary>(_ type: V.Type, _ key: String) throws(AppError) -> V? {
        guard let text = try string(key) else { return nil }
        guard let value = V(rawValue: text) else { throw AppError.unknownName(V.self, field: field(key), got: text) }
        return value
    }

    /// The decoding options every edit takes.
    func decodingRequest() throws(AppError) -> DecodingRequest {
        typealias K = DecodingRequest.Key
        return DecodingRequest(
            seed: try int(K.seed.rawValue), steps: try int(K.steps.rawValue), startStep: try int(K.startStep.rawValue),
            schedule: try name(ScheduleName.self, K.schedule.rawValue), sampler: try name(SamplerName.self, K.sampler.rawValue),
            choiceTemperature: try double(K.choiceTemperature.rawValue), temperature: try double(K.temperature.rawValue),
            topK: try int(K.topK.rawValue), guidance: try double(K.guidance.rawValue),
            guidanceRamp: try name(GuidanceRampName.self, K.guidanceRamp.rawValue), rng: try name(RNGName.self, K.rng.rawValue),
            adaptiveSteps: try bool(K.adaptiveSteps.rawValue))
    }

    /// `class`: a label number or a class name.
    func classRef(_ key: String = "class") throws(AppError) -> ClassRef? {
        guard let value = value(key) else { return nil }
        if let i = value.intValue { return .label(i) }
        if let s = value.stringValue { return .name(s) }
        throw AppError.invalidParams(field: field(key), expected: "a class label or name", got: value.typeName)
    }

    /// The input of an edit: `session` or `image` (one of them).
    func editSource(images: ImagePolicy) throws(AppError) -> EditSource {
        if let session = try string("session") {
            if has("image") {
                throw AppError.invalidParams(field: "image", expected: "either \"image\" or \"session\", not both")
            }
            return .session(session)
        }
        guard let ref = value("image") else {
            throw AppError.invalidParams(field: "image", expected: "an image (base64 or {\"path\"}) or a \"session\"", got: "nothing")
        }
        return .image(try images.readImage(ref, field: "image"))
    }

    /// `{x, y, width, height}`.
    func rectRequest() throws(AppError) -> RectRequest {
        RectRequest(x: try requiredInt("x"), y: try requiredInt("y"), width: try requiredInt("width"), height: try requiredInt("height"))
    }

    /// A mask: `{"image": ImageRef, "channel", "threshold", "invert", "rects": [{x, y, width, height}]}`.
    func maskRequest(_ key: String, images: ImagePolicy) throws(AppError) -> MaskRequest? {
        guard let spec = try object(key) else { return nil }
        try spec.rejectUnknown(MaskRequest.self)
        var mask = MaskRequest()
        if let ref = spec.value("image") { mask.image = try images.readImage(ref, field: spec.field("image")) }
        mask.channel = try spec.name(MaskChannel.self, "channel")
        mask.threshold = try spec.int("threshold")
        mask.invert = try spec.bool("invert")
        if let rects = try spec.array("rects") {
            var list: [RectRequest] = []
            list.reserveCapacity(rects.count)
            for (index, rect) in rects.enumerated() {
                let f = spec.field("rects[\(index)]")
                guard let o = rect.objectValue else { throw AppError.invalidParams(field: f, expected: "an object {x, y, width, height}", got: rect.typeName) }
                list.append(try Params(o, path: f).rectRequest())
            }
            mask.rects = list
        }
        return mask
    }
}

extension GenerateRequest {
    init(_ p: Params) throws(AppError) {
        self.init(model: try p.string("model"), classRef: try p.classRef(), decoding: try p.decodingRequest(),
                  openSession: try p.bool("openSession") ?? false)
    }
}

extension RegionOptions {
    init(_ p: Params, images: ImagePolicy) throws(AppError) {
        self.init(mask: try p.maskRequest("mask", images: images), maskPolicy: try p.name(MaskPolicyName.self, "maskPolicy"),
                  coverage: try p.double("coverage"), feather: try p.double("feather"),
                  composite: try p.name(CompositeRegion.self, "composite"), tokenizerContext: try p.int("tokenizerContext"))
    }
}

extension InpaintRequest {
    init(_ p: Params, images: ImagePolicy) throws(AppError) {
        self.init(source: try p.editSource(images: images), model: try p.string("model"), classRef: try p.classRef(),
                  decoding: try p.decodingRequest(), region: try RegionOptions(p, images: images))
    }
}

extension OutpaintRequest {
    init(_ p: Params, images: ImagePolicy) throws(AppError) {
        self.init(source: try p.editSource(images: images), model: try p.string("model"), classRef: try p.classRef(),
                  decoding: try p.decodingRequest(), left: try p.int("left"), top: try p.int("top"), right: try p.int("right"),
                  bottom: try p.int("bottom"), windowStride: try p.int("windowStride"))
    }
}

extension ClassEditRequest {
    init(_ p: Params, images: ImagePolicy) throws(AppError) {
        self.init(source: try p.editSource(images: images), model: try p.string("model"), rect: try p.object("rect")?.rectRequest(),
                  classRef: try p.classRef(), decoding: try p.decodingRequest(), region: try RegionOptions(p, images: images))
    }
}
