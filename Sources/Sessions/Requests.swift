// The typed requests of the edit methods. Each is a plain value a caller builds in Swift (tests,
// maskgit-cli) or the server parses from a request's params; its `Key` cases are the wire names
// of its parameters (the server accepts exactly these, and a test compares them with the
// OpenRPC document). Values are as the client sent them; `EditService` validates them once,
// against `RequestBounds` and the model, when it runs the request.

import Editing
import ImageCodecs

/// A parameter set whose keys are the wire names.
public protocol WireRequest: Sendable {
    associatedtype Key: RawRepresentable & CaseIterable where Key.RawValue == String
}

extension WireRequest {
    /// The wire names of the parameters, in declaration order.
    public static var keys: [String] { Key.allCases.map(\.rawValue) }
}

/// Where an edit's input image comes from.
public enum EditSource: Sendable {
    /// An open session's current revision (and its cached token grid).
    case session(String)
    /// An image sent with the request.
    case image(RGBImage)
}

/// The class condition as the client named it.
public enum ClassRef: Sendable, Hashable {
    case label(Int)
    case name(String)
}

/// The decoding options every edit takes; absent ones are the model's defaults (`ModelDefaults`).
public struct DecodingRequest: WireRequest, Hashable {
    public enum Key: String, CaseIterable, CodingKey {
        case seed, steps, startStep, schedule, sampler, choiceTemperature, temperature, topK, guidance, guidanceRamp, rng, adaptiveSteps
    }
    public var seed: Int?
    public var steps: Int?
    public var startStep: Int?
    public var schedule: ScheduleName?
    public var sampler: SamplerName?
    public var choiceTemperature: Double?
    public var temperature: Double?
    public var topK: Int?
    public var guidance: Double?
    public var guidanceRamp: GuidanceRampName?
    public var rng: RNGName?
    /// Fewer steps for windows with few unknown tokens (`DecodingOptions.adaptedSteps`).
    public var adaptiveSteps: Bool?

    public init(seed: Int? = nil, steps: Int? = nil, startStep: Int? = nil, schedule: ScheduleName? = nil,
                sampler: SamplerName? = nil, choiceTemperature: Double? = nil, temperature: Double? = nil, topK: Int? = nil,
                guidance: Double? = nil, guidanceRamp: GuidanceRampName? = nil, rng: RNGName? = nil, adaptiveSteps: Bool? = nil) {
        self.adaptiveSteps = adaptiveSteps
        self.seed = seed
        self.steps = steps
        self.startStep = startStep
        self.schedule = schedule
        self.sampler = sampler
        self.choiceTemperature = choiceTemperature
        self.temperature = temperature
        self.topK = topK
        self.guidance = guidance
        self.guidanceRamp = guidanceRamp
        self.rng = rng
    }
}

/// `{x, y, width, height}` in image pixels: Editing's `PixelRect`, with the wire names.
public typealias RectRequest = PixelRect

extension PixelRect: WireRequest {
    public enum Key: String, CaseIterable, CodingKey { case x, y, width, height }
}

/// A mask: a mask image (thresholded luminance or alpha) and/or rectangles, combined (union),
/// optionally inverted.
public struct MaskRequest: WireRequest {
    public enum Key: String, CaseIterable, CodingKey { case image, channel, threshold, invert, rects }
    public var image: RGBImage?
    public var channel: MaskChannel?
    public var threshold: Int?
    public var invert: Bool?
    public var rects: [RectRequest]?

    public init(image: RGBImage? = nil, channel: MaskChannel? = nil, threshold: Int? = nil, invert: Bool? = nil,
                rects: [RectRequest]? = nil) {
        self.image = image
        self.channel = channel
        self.threshold = threshold
        self.invert = invert
        self.rects = rects
    }
}

/// `generate`: a new image of the model's native size.
public struct GenerateRequest: WireRequest {
    public enum Key: String, CaseIterable, CodingKey { case model, `class`, openSession }
    public var model: String?
    public var classRef: ClassRef?
    public var decoding: DecodingRequest
    /// Open a session on the result.
    public var openSession: Bool

    public init(model: String? = nil, classRef: ClassRef? = nil, decoding: DecodingRequest = DecodingRequest(), openSession: Bool = false) {
        self.model = model
        self.classRef = classRef
        self.decoding = decoding
        self.openSession = openSession
    }
}

/// What inpaint and classEdit share: the region (a mask) and how it is regenerated and blended.
public struct RegionOptions: WireRequest {
    public enum Key: String, CaseIterable, CodingKey { case mask, maskPolicy, coverage, feather, composite, tokenizerContext }
    public var mask: MaskRequest?
    /// Tokens of context the decoder sees around the edited cells (`RegionEdit.tokenizerContext`);
    /// nil: the whole window.
    public var tokenizerContext: Int?
    public var maskPolicy: MaskPolicyName?
    public var coverage: Double?
    public var feather: Double?
    public var composite: CompositeRegion?

    public init(mask: MaskRequest? = nil, maskPolicy: MaskPolicyName? = nil, coverage: Double? = nil, feather: Double? = nil,
                composite: CompositeRegion? = nil, tokenizerContext: Int? = nil) {
        self.tokenizerContext = tokenizerContext
        self.mask = mask
        self.maskPolicy = maskPolicy
        self.coverage = coverage
        self.feather = feather
        self.composite = composite
    }
}

/// `inpaint`: regenerate the masked pixels.
public struct InpaintRequest: WireRequest {
    public enum Key: String, CaseIterable, CodingKey { case image, session, model, `class` }
    public static var keys: [String] { Key.allCases.map(\.rawValue) + RegionOptions.keys }
    public var source: EditSource
    public var model: String?
    public var classRef: ClassRef?
    public var decoding: DecodingRequest
    public var region: RegionOptions

    public init(source: EditSource, model: String? = nil, classRef: ClassRef? = nil,
                decoding: DecodingRequest = DecodingRequest(), region: RegionOptions) {
        self.source = source
        self.model = model
        self.classRef = classRef
        self.decoding = decoding
        self.region = region
    }
}

/// `outpaint`: extend the image by new pixels on any side.
public struct OutpaintRequest: WireRequest {
    public enum Key: String, CaseIterable, CodingKey {
        case image, session, model, `class`, left, top, right, bottom, windowStride
    }
    public var source: EditSource
    public var model: String?
    public var classRef: ClassRef?
    public var decoding: DecodingRequest
    public var left: Int?
    public var top: Int?
    public var right: Int?
    public var bottom: Int?
    public var windowStride: Int?

    public init(source: EditSource, model: String? = nil, classRef: ClassRef? = nil, decoding: DecodingRequest = DecodingRequest(),
                left: Int? = nil, top: Int? = nil, right: Int? = nil, bottom: Int? = nil, windowStride: Int? = nil) {
        self.source = source
        self.model = model
        self.classRef = classRef
        self.decoding = decoding
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
        self.windowStride = windowStride
    }
}

/// `classEdit`: regenerate a region (a rectangle or a mask) as a target class.
public struct ClassEditRequest: WireRequest {
    public enum Key: String, CaseIterable, CodingKey { case image, session, model, rect, `class` }
    public static var keys: [String] { Key.allCases.map(\.rawValue) + RegionOptions.keys }
    public var source: EditSource
    public var model: String?
    public var rect: RectRequest?
    public var classRef: ClassRef?
    public var decoding: DecodingRequest
    public var region: RegionOptions

    public init(source: EditSource, model: String? = nil, rect: RectRequest? = nil, classRef: ClassRef?,
                decoding: DecodingRequest = DecodingRequest(), region: RegionOptions = RegionOptions()) {
        self.source = source
        self.model = model
        self.rect = rect
        self.classRef = classRef
        self.decoding = decoding
        self.region = region
    }
}

/// The four edits by their method names.
public enum EditKind: String, Sendable, Hashable, CaseIterable {
    case generate, inpaint, outpaint, classEdit
}
