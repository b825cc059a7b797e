// The protocol's closed vocabularies, one enum each: the raw values are the wire names, and
// everything that lists them (models.list / initialize capabilities, the OpenRPC document's
// enums through Protocol/tools/generate_openrpc.py, the error messages, the clients) derives the
// list from `allCases`. Adding a value here is the whole change on the server's side.

import Editing
import ImageCodecs

/// A name every vocabulary can list (with the `expected` text of an error naming them).
public protocol WireVocabulary: RawRepresentable, CaseIterable, Sendable, Hashable where RawValue == String {
    /// The vocabulary's name in `capabilities` (models.list / initialize).
    static var capabilityName: String { get }
}

extension WireVocabulary {
    /// The wire names, in declaration order.
    public static var names: [String] { allCases.map(\.rawValue) }

    /// "one of a, b, c" for two or more values ("\"a\" or \"b\"" for exactly two or three, as
    /// the protocol's error messages have always said).
    public static var expectedText: String {
        let quoted = names.map { "\"\($0)\"" }
        switch quoted.count {
        case 1: return quoted[0]
        case 2, 3: return quoted.dropLast().joined(separator: ", ") + " or " + quoted.last!
        default: return "one of " + names.joined(separator: ", ")
        }
    }
}

/// `schedule`: how many tokens stay masked after each step.
public enum ScheduleName: String, WireVocabulary {
    case cosine, linear, square, cubic, exponential, log, arccos
    public static let capabilityName = "schedules"

    public var schedule: MaskSchedule {
        switch self {
        case .cosine: return .cosine
        case .linear: return .linear
        case .square: return .square
        case .cubic: return .cubic
        case .exponential: return .exponential
        case .log: return .logarithmic
        case .arccos: return .arccos
        }
    }

    /// The wire name of a schedule, when it has one.
    public init?(_ schedule: MaskSchedule) {
        guard let name = Self.allCases.first(where: { $0.schedule == schedule }) else { return nil }
        self = name
    }
}

/// `sampler`: the reveal order of the parallel decoder (`RevealOrder` in Editing).
public enum SamplerName: String, WireVocabulary {
    /// The official MaskGIT choice: the most confident tokens, with Gumbel noise of temperature
    /// `choiceTemperature`.
    case confidence
    /// A fixed Halton low-discrepancy order.
    case halton
    public static let capabilityName = "samplers"

    public func order(choiceTemperature: Float?) -> RevealOrder {
        switch self {
        case .confidence: return .confidence(choiceTemperature: choiceTemperature ?? 4.5)
        case .halton: return .halton(roll: false)
        }
    }
}

/// `rng`: whose random numbers the sampler draws.
public enum RNGName: String, WireVocabulary {
    case project, jax, jaxLegacy
    public static let capabilityName = "rng"

    public var mode: RandomMode {
        switch self {
        case .project: return .splitMix
        case .jax: return .jax(.partitionable)
        case .jaxLegacy: return .jax(.legacy)
        }
    }

    public init(_ mode: RandomMode) {
        switch mode {
        case .splitMix: self = .project
        case .jax(.partitionable): self = .jax
        case .jax(.legacy): self = .jaxLegacy
        }
    }
}

/// `guidanceRamp`: how the guidance weight grows over the steps.
public enum GuidanceRampName: String, WireVocabulary {
    case constant, linear
    public static let capabilityName = "guidanceRamps"

    public var ramp: Guidance.Ramp { self == .constant ? .constant : .linear }
}

/// `maskPolicy`: how masked pixels become regenerated tokens.
public enum MaskPolicyName: String, WireVocabulary {
    case anyOverlap, officialBoundingBox, official, coverage
    public static let capabilityName = "maskPolicies"

    public func policy(coverage: Float?) -> TokenMaskPolicy {
        switch self {
        case .anyOverlap: return .anyOverlap
        case .officialBoundingBox: return .officialBoundingBox
        case .official: return .official
        case .coverage: return .coverage(coverage ?? 0.5)
        }
    }

    public init(_ policy: TokenMaskPolicy) {
        switch policy {
        case .anyOverlap: self = .anyOverlap
        case .officialBoundingBox: self = .officialBoundingBox
        case .official: self = .official
        case .coverage: self = .coverage
        }
    }
}

/// `composite`: where the feathered composite grows from (Editing's `CompositeRegion`).
extension CompositeRegion: WireVocabulary {
    public static let capabilityName = "composites"
}

/// `output.format`: the encoded formats results can be written in (ImageCodecs' `ImageFormat`);
/// "jpg" is accepted as an alias of "jpeg".
extension ImageFormat: WireVocabulary {
    public static let capabilityName = "imageFormats"
    /// Other names accepted on the wire.
    public static let aliases: [String: ImageFormat] = ["jpg": .jpeg]

    public init?(wireName: String) {
        guard let format = ImageFormat(rawValue: wireName) ?? ImageFormat.aliases[wireName] else { return nil }
        self = format
    }
}

/// `output.transport`: how a result image goes back.
public enum ImageTransportName: String, WireVocabulary {
    case base64, path, none
    public static let capabilityName = "imageTransports"
}

/// Mask images: which channel selects the pixels.
public enum MaskChannel: String, WireVocabulary {
    case luminance, alpha
    public static let capabilityName = "maskChannels"
}

/// The vocabularies a model's `capabilities` lists (models.list, initialize), by capability name.
public enum Vocabularies {
    public static let editing: [(name: String, values: [String])] = [
        (SamplerName.capabilityName, SamplerName.names),
        (ScheduleName.capabilityName, ScheduleName.names),
        (MaskPolicyName.capabilityName, MaskPolicyName.names),
        (CompositeRegion.capabilityName, CompositeRegion.names),
        (RNGName.capabilityName, RNGName.names),
        (GuidanceRampName.capabilityName, GuidanceRampName.names),
    ]
}
