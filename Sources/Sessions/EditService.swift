// EditService: the application. It owns the loaded models and the session store, and runs each
// typed request in one way: resolve the source (a session's current revision or an image),
// validate the request once (RequestBounds and the model), build the edit, run it, commit the
// result to the session. It knows nothing of JSON: the server parses requests into these types
// and formats what comes back; tests and maskgit-cli call it directly.

import Dispatch
import Editing
import Engine
import Foundation
import ImageCodecs
import Synchronization

/// What an edit produced.
public struct EditOutcome: Sendable {
    /// The model that ran it.
    public var model: String
    public var result: EditResult
    /// The session the result was committed to (or opened on, `generate` with `openSession`).
    public var session: SessionSnapshot?
    /// Sessions evicted to make room.
    public var evicted: [String]
    /// Wall time of the edit in milliseconds.
    public var milliseconds: Double
}

public final class EditService: Sendable {
    /// Models by name, in the order given; the first is the default.
    public let models: [String: MaskGITModel]
    public let modelOrder: [String]
    public let defaultModel: String
    public let sessions: SessionStore
    public let limits: EditLimits

    public init(models: [MaskGITModel], sessions: SessionStore = SessionStore(), limits: EditLimits = EditLimits()) {
        precondition(!models.isEmpty, "a service needs a model")
        var table: [String: MaskGITModel] = [:]
        for model in models { table[model.name] = model }
        self.models = table
        modelOrder = models.map(\.name)
        defaultModel = models[0].name
        self.sessions = sessions
        self.limits = limits
    }

    // MARK: Models

    /// The model named `name` (nil: the default). `field` names the parameter in the error.
    public func model(_ name: String?, field: String? = "model") throws(AppError) -> MaskGITModel {
        let name = name ?? defaultModel
        guard let model = models[name] else {
            var details: AppError.Details = [:]
            if let field { details["field"] = .string(field) }
            details["available"] = .strings(modelOrder)
            throw AppError(.modelNotFound, "No model named \(name)", details: details)
        }
        return model
    }

    // MARK: Sessions

    /// Opens a session on `image` with an empty token grid (opening encodes nothing).
    /// Opens a session on `image` (nothing is encoded). With `reuseTokens`, its token grid starts
    /// from an open session revision with identical RGB samples (see `SessionStore.open`).
    public func openSession(image: RGBImage, model name: String?, reuseTokens: Bool = false,
                            cancellation: Cancellation = Cancellation())
        throws(AppError) -> (SessionSnapshot, evicted: [String], tokensFrom: SessionStore.TokenSource?)
    {
        let model = try model(name)
        try cancellation.check(stage: "decoding")
        let shape: GridShape
        do { shape = try model.editor().tokenShape(width: image.width, height: image.height) } catch {
            throw AppError.from(error, stage: "opening")
        }
        let (id, evicted, source) = try sessions.open(model: model.name, revision: Revision(
            image: image, tokens: TokenGrid(width: shape.width, height: shape.height), operation: .open),
            reuseTokens: reuseTokens)
        return (try sessions.snapshot(id), evicted, source)
    }

    // MARK: Edits

    public func generate(_ r: GenerateRequest, control: EditControl = EditControl()) throws(AppError) -> EditOutcome {
        let started = DispatchTime.now()
        let model = try model(r.model)
        let edit = GenerateEdit(condition: try conditioning(r.classRef, model: model),
                                decoding: try decodingOptions(r.decoding, defaults: model.defaults.generate, model: model),
                                seed: try seed(r.decoding))
        var outcome = try execute(edit, model: model, source: nil, operation: .generate, control: control, started: started)
        if r.openSession {
            let (id, evicted, _) = try sessions.open(model: model.name, revision: Revision(
                image: outcome.result.image, tokens: outcome.result.tokens, operation: .generate, seed: outcome.result.seed))
            outcome.session = try sessions.snapshot(id)
            outcome.evicted = evicted
        }
        return outcome
    }

    public func inpaint(_ r: InpaintRequest, control: EditControl = EditControl()) throws(AppError) -> EditOutcome {
        let started = DispatchTime.now()
        let (model, image, snapshot) = try resolve(r.source, model: r.model)
        let decoding = try decodingOptions(r.decoding, defaults: model.defaults.inpaint, model: model)
        let mask = try pixelMask(r.region.mask, field: "mask", width: image.width, height: image.height)
        var edit = InpaintEdit(image: image, mask: mask, condition: try conditioning(r.classRef, model: model), decoding: decoding,
                               policy: try maskPolicy(r.region, default: model.defaults.inpaintPolicy),
                               featherRadius: try feather(r.region.feather),
                               composite: r.region.composite ?? model.defaults.inpaintComposite, seed: try seed(r.decoding),
                               knownTokens: snapshot?.current.tokens)
        edit.region.tokenizerContext = try check(r.region.tokenizerContext, RequestBounds.tokenizerContext, field: "tokenizerContext")
        return try execute(edit, model: model, source: snapshot, operation: .inpaint, control: control, started: started)
    }

    public func outpaint(_ r: OutpaintRequest, control: EditControl = EditControl()) throws(AppError) -> EditOutcome {
        let started = DispatchTime.now()
        let (model, image, snapshot) = try resolve(r.source, model: r.model)
        let decoding = try decodingOptions(r.decoding, defaults: model.defaults.outpaint, model: model)
        func margin(_ value: Int?, _ field: String) throws(AppError) -> Int {
            try check(value, RequestBounds.margin, field: field) ?? 0
        }
        let margins = EdgeInsets(left: try margin(r.left, "left"), top: try margin(r.top, "top"),
                                 right: try margin(r.right, "right"), bottom: try margin(r.bottom, "bottom"))
        guard margins.left + margins.top + margins.right + margins.bottom > 0 else {
            throw AppError.invalidParams(field: "right", expected: "at least one of left, top, right, bottom above 0")
        }
        let newPixels = (image.width + margins.left + margins.right) * (image.height + margins.top + margins.bottom)
        guard newPixels <= limits.maxPixels else {
            throw AppError(.limitExceeded, "The outpainted image would have \(newPixels) pixels, over the limit of \(limits.maxPixels)",
                           details: ["limit": .int(limits.maxPixels), "got": .int(newPixels)])
        }
        let stride = try check(r.windowStride, RequestBounds.windowStride, field: "windowStride")
        // Bounded before any planning: the windows an outpaint may decode are at most the
        // candidate positions of OutpaintEdit.plan (every `stride` tokens plus the last one on
        // each axis of the canvas grid), and each costs `steps` transformer passes.
        let grid = model.predictor.gridShape
        let canvas = OutpaintEdit.canvas(width: image.width, height: image.height, margins: margins,
                                         tokenStride: model.tokenizer.tokenStride, window: grid)
        // A stride over the window is refused by the edit; bound with the largest it accepts.
        let step = min(stride ?? OutpaintEdit.defaultStride(window: grid), max(1, min(grid.width, grid.height)))
        let windows = OutpaintEdit.candidatePositions(canvas.height, grid.height, stride: step)
            * OutpaintEdit.candidatePositions(canvas.width, grid.width, stride: step)
        guard windows <= limits.maxOutpaintWindows else {
            throw AppError(.limitExceeded,
                           "The outpaint would plan up to \(windows) windows, over the limit of \(limits.maxOutpaintWindows) (use a larger windowStride or smaller margins)",
                           details: ["field": .string("windowStride"), "limit": .int(limits.maxOutpaintWindows), "got": .int(windows)])
        }
        let edit = OutpaintEdit(image: image, margins: margins, condition: try conditioning(r.classRef, model: model), decoding: decoding,
                                windowStride: stride, seed: try seed(r.decoding), knownTokens: snapshot?.current.tokens)
        return try execute(edit, model: model, source: snapshot, operation: .outpaint, control: control, started: started)
    }

    public func classEdit(_ r: ClassEditRequest, control: EditControl = EditControl()) throws(AppError) -> EditOutcome {
        let started = DispatchTime.now()
        let (model, image, snapshot) = try resolve(r.source, model: r.model)
        let decoding = try decodingOptions(r.decoding, defaults: model.defaults.classEdit, model: model)
        let region: PixelMask
        if let rect = r.rect {
            region = PixelMask(width: image.width, height: image.height,
                               rectangles: [try pixelRect(rect, field: "rect", width: image.width, height: image.height)])
        } else {
            region = try pixelMask(r.region.mask, field: "mask", width: image.width, height: image.height)
        }
        guard case .classLabel(let target) = try conditioning(r.classRef, model: model, required: true) else {
            throw AppError.invalidParams(field: "class", expected: "a target class")
        }
        // The official composite goes with the official latent mask unless a policy is named.
        let composite = r.region.composite ?? model.defaults.classEditComposite
        let policy = try maskPolicy(r.region, default: composite == .official ? .official
                                        : (model.defaults.classEditPolicy == .official ? .officialBoundingBox : model.defaults.classEditPolicy))
        var edit = ClassEdit(image: image, region: region, targetClass: target, decoding: decoding, policy: policy,
                             featherRadius: try feather(r.region.feather), composite: composite, seed: try seed(r.decoding),
                             knownTokens: snapshot?.current.tokens)
        edit.region.tokenizerContext = try check(r.region.tokenizerContext, RequestBounds.tokenizerContext, field: "tokenizerContext")
        return try execute(edit, model: model, source: snapshot, operation: .classEdit, control: control, started: started)
    }

    // MARK: The one way an edit runs

    /// The source image and model: a session's current revision (its model; a `model` naming
    /// another is an error) or the image sent with the model named.
    private func resolve(_ source: EditSource, model name: String?) throws(AppError) -> (MaskGITModel, RGBImage, SessionSnapshot?) {
        switch source {
        case .session(let id):
            let snapshot = try sessions.snapshot(id)
            let model = try model(snapshot.model, field: nil)
            if let name, name != snapshot.model {
                throw AppError.invalidParams(field: "model", expected: "the session's model \(snapshot.model)", got: name)
            }
            return (model, snapshot.current.image, snapshot)
        case .image(let image):
            return (try model(name), image, nil)
        }
    }

    /// Runs `edit`, reporting progress and stopping when cancelled, then commits the result to
    /// the session it came from.
    private func execute(_ edit: some ImageEdit, model: MaskGITModel, source: SessionSnapshot?, operation: Revision.Operation,
                         control: EditControl, started: DispatchTime) throws(AppError) -> EditOutcome {
        let editor: ImageEditor
        do { editor = try model.editor() } catch { throw AppError.from(error, stage: "setup") }
        let steps = Atomic<Int>(0)
        let result: EditResult
        do {
            result = try editor.apply(edit) { p in
                let done = p.window * p.decoding.totalSteps + p.decoding.stepsDone
                steps.store(done, ordering: .relaxed)
                control.progress?(Double(done), Double(p.windowCount * p.decoding.totalSteps),
                                  "window \(p.window + 1)/\(p.windowCount), step \(p.decoding.stepsDone)/\(p.decoding.totalSteps)")
                return !control.cancellation.isCancelled
            }
        } catch {
            throw AppError.from(error, stage: "decoding", completedSteps: steps.load(ordering: .relaxed))
        }
        try control.cancellation.check(stage: "encoding")
        var outcome = EditOutcome(model: model.name, result: result, session: nil, evicted: [], milliseconds: 0)
        if let source {
            let (committed, evicted) = try sessions.commit(source.id, base: source.revision, revision: Revision(
                image: result.image, tokens: result.tokens, operation: operation, seed: result.seed))
            outcome.session = committed
            outcome.evicted = evicted
        }
        outcome.milliseconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
        return outcome
    }

    // MARK: Validation (once, here, against RequestBounds and the model)

    private func check(_ value: Int?, _ range: ClosedRange<Int>, field: String) throws(AppError) -> Int? {
        guard let value else { return nil }
        guard range.contains(value) else { throw AppError.outOfRange(field: field, value, range) }
        return value
    }

    private func check(_ value: Double?, _ range: ClosedRange<Double>, field: String) throws(AppError) -> Double? {
        guard let value else { return nil }
        guard value.isFinite else { throw AppError.invalidParams(field: field, expected: "a number", got: "\(value)") }
        guard range.contains(value) else { throw AppError.outOfRange(field: field, value, range) }
        return value
    }

    private func seed(_ d: DecodingRequest) throws(AppError) -> UInt64? {
        try check(d.seed, RequestBounds.seed, field: "seed").map(UInt64.init)
    }

    private func feather(_ value: Double?) throws(AppError) -> Float? {
        try check(value, RequestBounds.feather, field: "feather").map(Float.init)
    }

    /// Decoding options over `defaults` (the model's, see ModelDefaults).
    func decodingOptions(_ d: DecodingRequest, defaults: DecodingOptions, model: MaskGITModel) throws(AppError) -> DecodingOptions {
        var o = defaults
        if let steps = try check(d.steps, RequestBounds.steps, field: "steps") { o.steps = steps }
        if let start = try check(d.startStep, RequestBounds.startStep, field: "startStep") { o.startStep = start }
        guard o.startStep < o.steps else {
            throw AppError.invalidParams(field: "startStep", expected: "less than steps (\(o.steps))", got: String(o.startStep))
        }
        if let schedule = d.schedule { o.schedule = schedule.schedule }
        let tau = try check(d.choiceTemperature, RequestBounds.choiceTemperature, field: "choiceTemperature")
        o.order = (d.sampler ?? .confidence).order(choiceTemperature: tau.map(Float.init))
        if let rng = d.rng { o.random = rng.mode }
        if let adaptive = d.adaptiveSteps { o.adaptiveSteps = adaptive }
        if let t = try check(d.temperature, RequestBounds.temperature, field: "temperature") { o.temperature = .constant(Float(t)) }
        if let k = try check(d.topK, RequestBounds.topK, field: "topK") { o.topK = k }
        let requested = try check(d.guidance, RequestBounds.guidance, field: "guidance")
        // Models with a null class default to guidance 2 (their model card's recommendation:
        // the project model's class accuracy goes from 79% to 125% of the classifier ceiling).
        if let w = requested ?? (model.hasNullClass ? MaskGITModel.defaultGuidance : nil), w > 0 {
            guard model.hasNullClass else {
                throw AppError(.unsupported, "Model \(model.name) has no null class: classifier-free guidance is unavailable",
                               details: ["field": .string("guidance"), "model": .string(model.name)])
            }
            o.guidance = Guidance(weight: Float(w), ramp: (d.guidanceRamp ?? .constant).ramp)
        }
        return o
    }

    /// The class condition; absent → unconditional for models with a null class, an error otherwise.
    func conditioning(_ ref: ClassRef?, model: MaskGITModel, required: Bool = false) throws(AppError) -> Conditioning {
        guard let ref else {
            if !required, model.hasNullClass { return .unconditional }
            throw AppError.invalidParams(field: "class", expected: "a class label (0...\(model.classNames.count - 1)) or name",
                                         got: "nothing", detail: model.hasNullClass ? nil : "this model has no unconditional mode")
        }
        return .classLabel(try classLabel(ref, field: "class", model: model))
    }

    /// A class label of `model` (the one check of labels and names; the networks' adapters
    /// trust it).
    public func classLabel(_ ref: ClassRef, field: String, model: MaskGITModel) throws(AppError) -> Int {
        let names = model.classNames
        switch ref {
        case .label(let i):
            guard i >= 0, i < names.count else {
                throw AppError.invalidParams(field: field, expected: "a class label in 0...\(names.count - 1)", got: String(i))
            }
            return i
        case .name(let name):
            func quoted(_ i: Int) -> String { "\(i) \"\(names[i])\"" }
            switch model.lookUpClass(name) {
            case .found(let i): return i
            case .ambiguous(let labels):
                throw AppError.invalidParams(field: field, expected: "a class name of model \(model.name) naming one class", got: name,
                                             detail: "it names \(labels.map(quoted).joined(separator: ", ")); give the label number")
            case .notFound(let suggestions):
                var detail = suggestions.isEmpty ? "" : "did you mean \(suggestions.map(quoted).joined(separator: " or "))? "
                if names.count <= 32 {
                    detail += "the classes are " + names.indices.map(quoted).joined(separator: ", ")
                } else {
                    detail += "models.list names all \(names.count) classes"
                }
                throw AppError.invalidParams(field: field, expected: "a class name of model \(model.name) or a label in 0...\(names.count - 1)",
                                             got: name, detail: detail)
            }
        }
    }

    private func maskPolicy(_ region: RegionOptions, default fallback: TokenMaskPolicy) throws(AppError) -> TokenMaskPolicy {
        guard let name = region.maskPolicy else { return fallback }
        let t = name == .coverage ? try check(region.coverage, RequestBounds.coverage, field: "coverage") : nil
        return name.policy(coverage: t.map(Float.init))
    }

    /// A rectangle that overlaps the `width` × `height` image (the one rule: a rectangle wholly
    /// outside is refused; one partly outside is clipped by the rasterizer, `PixelMask`).
    func pixelRect(_ r: RectRequest, field: String, width: Int, height: Int) throws(AppError) -> PixelRect {
        _ = try check(r.width, RequestBounds.rectSide, field: "\(field).width")
        _ = try check(r.height, RequestBounds.rectSide, field: "\(field).height")
        let rect = PixelRect(x: r.x, y: r.y, width: r.width, height: r.height)
        guard rect.clipped(width: width, height: height) != nil else {
            throw AppError.invalidParams(field: field, expected: "a rectangle overlapping the \(width)x\(height) image")
        }
        return rect
    }

    /// The mask over a `width` × `height` image: the thresholded mask image and/or the
    /// rectangles (union), inverted when asked; it must select a pixel.
    func pixelMask(_ spec: MaskRequest?, field: String, width: Int, height: Int) throws(AppError) -> PixelMask {
        guard let spec else {
            throw AppError.invalidParams(field: field, expected: "a mask object with \"image\" and/or \"rects\"", got: "nothing")
        }
        var values = [Float](repeating: 0, count: width * height)
        var any = false
        if let image = spec.image {
            guard image.width == width, image.height == height else {
                throw AppError(.maskSizeMismatch, "Mask is \(image.width)x\(image.height) but the image is \(width)x\(height)",
                               details: ["field": .string("\(field).image"),
                                         "expected": .string("\(width)x\(height)"), "got": .string("\(image.width)x\(image.height)")])
            }
            let threshold = try check(spec.threshold, RequestBounds.threshold, field: "\(field).threshold") ?? 128
            let source: PixelMask
            switch spec.channel ?? .luminance {
            case .luminance: source = PixelMask(luminanceOf: image)
            case .alpha:
                guard let alpha = PixelMask(alphaOf: image) else {
                    throw AppError.invalidParams(field: "\(field).channel", expected: "\"luminance\" for a mask image without alpha", got: "alpha")
                }
                source = alpha
            }
            let cut = Float(threshold) / 255
            for i in 0..<values.count where source.values[i] >= cut && (threshold > 0 || source.values[i] > 0) {
                values[i] = 1
            }
            any = true
        }
        if let rects = spec.rects {
            guard rects.count <= limits.maxMaskRects else {
                throw AppError(.limitExceeded, "\(rects.count) mask rectangles exceed the limit of \(limits.maxMaskRects)",
                               details: ["field": .string("\(field).rects"), "limit": .int(limits.maxMaskRects), "got": .int(rects.count)])
            }
            var list: [PixelRect] = []
            list.reserveCapacity(rects.count)
            for (index, rect) in rects.enumerated() {
                list.append(try pixelRect(rect, field: "\(field).rects[\(index)]", width: width, height: height))
            }
            let union = PixelMask(width: width, height: height, rectangles: list)
            for i in 0..<values.count where union.values[i] == 1 { values[i] = 1 }
            any = true
        }
        guard any else { throw AppError.invalidParams(field: field, expected: "\"image\" and/or \"rects\"") }
        if spec.invert == true { values = values.map { 1 - $0 } }
        guard values.contains(where: { $0 >= 0.5 }) else {
            throw AppError.invalidParams(field: field, expected: "a mask selecting at least one pixel", got: "an empty mask")
        }
        guard let mask = PixelMask(width: width, height: height, values: values) else {
            throw AppError(.internal, "mask of \(values.count) values for \(width)x\(height)")
        }
        return mask
    }
}
