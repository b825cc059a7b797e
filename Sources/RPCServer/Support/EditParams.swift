// Parameters shared by the edit methods: decoding options, seed, class, mask, mask policy.
// Every name here is documented in Protocol/openrpc.json.

import Editing
import Engine
import ImageCodecs
import JSONRPC

/// The decoding keys every edit accepts.
let decodingKeys: Set<String> = ["seed", "steps", "startStep", "schedule", "sampler", "choiceTemperature",
                                 "temperature", "topK", "guidance", "guidanceRamp", "rng"]

extension Params {
    /// The seed, when given (0 ... 2^53, so it survives JSON numbers in every client).
    func seed() throws(RPCError) -> UInt64? {
        guard let s = try int("seed", in: 0...9_007_199_254_740_991) else { return nil }
        return UInt64(s)
    }

    /// Decoding options over `defaults` (the model's, see ModelDefaults).
    func decodingOptions(defaults: DecodingOptions, model: MaskGITModel) throws(RPCError) -> DecodingOptions {
        var o = defaults
        if let steps = try int("steps", in: 1...64) { o.steps = steps }
        if let start = try int("startStep", in: 0...63) { o.startStep = start }
        guard o.startStep < o.steps else {
            throw ServerError.invalidParams(field: field("startStep"), expected: "less than steps (\(o.steps))", got: String(o.startStep))
        }
        if let name = try string("schedule") {
            switch name {
            case "cosine": o.schedule = .cosine
            case "linear": o.schedule = .linear
            case "square": o.schedule = .square
            case "cubic": o.schedule = .cubic
            case "exponential": o.schedule = .exponential
            case "log": o.schedule = .logarithmic
            case "arccos": o.schedule = .arccos
            default:
                throw ServerError.invalidParams(field: field("schedule"),
                                                expected: "one of cosine, linear, square, cubic, exponential, log, arccos", got: name)
            }
        }
        let tau = try double("choiceTemperature", in: 0...100)
        switch try string("sampler") ?? "confidence" {
        case "confidence": o.order = .confidence(choiceTemperature: tau.map(Float.init) ?? 4.5)
        case "halton": o.order = .halton(roll: false)
        case let other: throw ServerError.invalidParams(field: field("sampler"), expected: "\"confidence\" or \"halton\"", got: other)
        }
        switch try string("rng") {
        case nil: break
        case "project": o.random = .splitMix
        case "jax": o.random = .jax(.partitionable)
        case "jaxLegacy": o.random = .jax(.legacy)
        case let other?:
            throw ServerError.invalidParams(field: field("rng"), expected: "\"project\", \"jax\" or \"jaxLegacy\"", got: other)
        }
        if let t = try double("temperature", in: 0.01...10) { o.temperature = .constant(Float(t)) }
        if let k = try int("topK", in: 1...1_000_000) { o.topK = k }
        let requested = try double("guidance", in: 0...50)
        // Models with a null class default to guidance 2 (their model card's recommendation:
        // the project model's class accuracy goes from 79% to 125% of the classifier ceiling).
        if let w = requested ?? (model.hasNullClass ? MaskGITModel.defaultGuidance : nil), w > 0 {
            guard model.hasNullClass else {
                throw ServerError.make(ServerError.unsupported,
                                       "Model \(model.name) has no null class: classifier-free guidance is unavailable",
                                       details: ["field": .string(field("guidance")), "model": .string(model.name)])
            }
            var ramp = Guidance.Ramp.constant
            switch try string("guidanceRamp") ?? "constant" {
            case "constant": ramp = .constant
            case "linear": ramp = .linear
            case let other: throw ServerError.invalidParams(field: field("guidanceRamp"), expected: "\"constant\" or \"linear\"", got: other)
            }
            o.guidance = Guidance(weight: Float(w), ramp: ramp)
        }
        return o
    }

    /// The class condition: `class` as a label number or a class name; absent → unconditional
    /// for models with a null class, an error otherwise.
    func conditioning(_ key: String = "class", model: MaskGITModel, required: Bool = false) throws(RPCError) -> Conditioning {
        guard let value = value(key) else {
            if !required, model.hasNullClass { return .unconditional }
            throw ServerError.invalidParams(field: field(key), expected: "a class label (0...\(model.classNames.count - 1)) or name",
                                            got: "nothing", detail: model.hasNullClass ? nil : "this model has no unconditional mode")
        }
        return .classLabel(try classLabel(value, field: field(key), model: model))
    }

    func classLabel(_ value: JSONValue, field: String, model: MaskGITModel) throws(RPCError) -> Int {
        if let i = value.intValue {
            guard i >= 0, i < model.classNames.count else {
                throw ServerError.invalidParams(field: field, expected: "a class label in 0...\(model.classNames.count - 1)", got: String(i))
            }
            return i
        }
        if let name = value.stringValue {
            let names = model.classNames
            func quoted(_ i: Int) -> String { "\(i) \"\(names[i])\"" }
            switch model.lookUpClass(name) {
            case .found(let i): return i
            case .ambiguous(let labels):
                throw ServerError.invalidParams(field: field, expected: "a class name of model \(model.name) naming one class", got: name,
                                                detail: "it names \(labels.map(quoted).joined(separator: ", ")); give the label number")
            case .notFound(let suggestions):
                var detail = suggestions.isEmpty ? "" : "did you mean \(suggestions.map(quoted).joined(separator: " or "))? "
                if names.count <= 32 {
                    detail += "the classes are " + names.indices.map(quoted).joined(separator: ", ")
                } else {
                    detail += "models.list names all \(names.count) classes"
                }
                throw ServerError.invalidParams(field: field, expected: "a class name of model \(model.name) or a label in 0...\(names.count - 1)",
                                                got: name, detail: detail)
            }
        }
        throw ServerError.invalidParams(field: field, expected: "a class label or name", got: value.typeName)
    }

    /// The token mask policy: `maskPolicy` ("anyOverlap", "officialBoundingBox", "coverage")
    /// with `coverage` (0...1] for the last.
    func maskPolicy(default fallback: TokenMaskPolicy) throws(RPCError) -> TokenMaskPolicy {
        guard let name = try string("maskPolicy") else { return fallback }
        switch name {
        case "anyOverlap": return .anyOverlap
        case "officialBoundingBox": return .officialBoundingBox
        case "official": return .official
        case "coverage":
            let t = try double("coverage", in: 0.001...1) ?? 0.5
            return .coverage(Float(t))
        default:
            throw ServerError.invalidParams(field: field("maskPolicy"), expected: "anyOverlap, officialBoundingBox, official or coverage", got: name)
        }
    }

    /// `composite`: "mask" (feather around the pixel mask; farther pixels keep their bytes),
    /// "tokens" (feather around the regenerated token cells, byte-exact outside the band) or
    /// "official" (the official class-editing composite exactly).
    func composite(default fallback: CompositeRegion) throws(RPCError) -> CompositeRegion {
        guard let name = try string("composite") else { return fallback }
        guard let value = CompositeRegion(rawValue: name) else {
            throw ServerError.invalidParams(field: field("composite"), expected: "\"mask\", \"tokens\" or \"official\"", got: name)
        }
        return value
    }

    /// `feather`: the Gaussian radius in pixels (nil → the official S/16 − 1; S // 16 − 1 for
    /// the official composite).
    func feather() throws(RPCError) -> Float? {
        try double("feather", in: 0...256).map(Float.init)
    }

    /// A mask over a `width` × `height` image:
    /// `{"image": ImageRef, "channel": "luminance"|"alpha", "threshold": 0...255, "invert": bool,
    ///   "rects": [{x, y, width, height}]}`; image and rects are combined (union).
    ///   At most `maxRects` rectangles; any integers are accepted for x and y (the arithmetic
    ///   saturates), and the union is built in O(rectangles + pixels).
    func mask(_ key: String, width: Int, height: Int, policy: ImagePolicy, maxRects: Int) throws(RPCError) -> PixelMask {
        guard let spec = try object(key) else {
            throw ServerError.invalidParams(field: field(key), expected: "a mask object with \"image\" and/or \"rects\"", got: "nothing")
        }
        try spec.rejectUnknown(["image", "channel", "threshold", "invert", "rects"])
        var values = [Float](repeating: 0, count: width * height)
        var any = false
        if let ref = spec.value("image") {
            let image = try policy.readImage(ref, field: spec.field("image"))
            guard image.width == width, image.height == height else {
                throw ServerError.make(ServerError.maskSizeMismatch,
                                       "Mask is \(image.width)x\(image.height) but the image is \(width)x\(height)",
                                       details: ["field": .string(spec.field("image")),
                                                 "expected": .string("\(width)x\(height)"), "got": .string("\(image.width)x\(image.height)")])
            }
            let threshold = try spec.int("threshold", in: 0...255) ?? 128
            let channel = try spec.string("channel") ?? "luminance"
            let source: PixelMask
            switch channel {
            case "luminance": source = PixelMask(luminanceOf: image)
            case "alpha":
                guard let alpha = PixelMask(alphaOf: image) else {
                    throw ServerError.invalidParams(field: spec.field("channel"), expected: "\"luminance\" for a mask image without alpha", got: "alpha")
                }
                source = alpha
            default:
                throw ServerError.invalidParams(field: spec.field("channel"), expected: "\"luminance\" or \"alpha\"", got: channel)
            }
            let cut = Float(threshold) / 255
            for i in 0..<values.count where source.values[i] >= cut && (threshold > 0 || source.values[i] > 0) {
                values[i] = 1
            }
            any = true
        }
        if let rects = try spec.array("rects") {
            guard rects.count <= maxRects else {
                throw ServerError.make(ServerError.limitExceeded, "\(rects.count) mask rectangles exceed the limit of \(maxRects)",
                                       details: ["field": .string(spec.field("rects")), "limit": .int(maxRects), "got": .int(rects.count)])
            }
            var list: [PixelRect] = []
            list.reserveCapacity(rects.count)
            for (index, rect) in rects.enumerated() {
                let f = spec.field("rects[\(index)]")
                guard let o = rect.objectValue else { throw ServerError.invalidParams(field: f, expected: "an object {x, y, width, height}", got: rect.typeName) }
                let r = try Params(o, path: f).pixelRect(imageWidth: width, imageHeight: height)
                list.append(r)
            }
            let union = PixelMask(width: width, height: height, rectangles: list)
            for i in 0..<values.count where union.values[i] == 1 { values[i] = 1 }
            any = true
        }
        guard any else { throw ServerError.invalidParams(field: field(key), expected: "\"image\" and/or \"rects\"") }
        if try spec.bool("invert") == true { values = values.map { 1 - $0 } }
        guard values.contains(where: { $0 >= 0.5 }) else {
            throw ServerError.invalidParams(field: field(key), expected: "a mask selecting at least one pixel", got: "an empty mask")
        }
        guard let mask = PixelMask(width: width, height: height, values: values) else {
            throw RPCError(code: StandardErrorCode.internalError, message: "mask of \(values.count) values for \(width)x\(height)")
        }
        return mask
    }

    /// `{x, y, width, height}` overlapping a `imageWidth` × `imageHeight` image. x and y may be
    /// any integers, width and height 1...2^31−1; the right and bottom edges saturate instead of
    /// overflowing.
    func pixelRect(imageWidth: Int, imageHeight: Int) throws(RPCError) -> PixelRect {
        let x = try requiredInt("x"), y = try requiredInt("y")
        let w = try requiredInt("width", in: 1...Int(Int32.max)), h = try requiredInt("height", in: 1...Int(Int32.max))
        let r = PixelRect(x: x, y: y, width: w, height: h)
        guard r.clipped(width: imageWidth, height: imageHeight) != nil else {
            throw ServerError.invalidParams(field: path, expected: "a rectangle overlapping the \(imageWidth)x\(imageHeight) image")
        }
        return r
    }
}
