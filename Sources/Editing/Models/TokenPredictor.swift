// TokenPredictor: what the decoder needs from the bidirectional transformer.
//
// The real network conforms in the Engine module (`NetworkAdapters.swift`); the tests use fakes. Legend:
// N = grid positions (height × width), V = codebookSize (image codes only).

/// The class condition of one forward pass.
public enum Conditioning: Sendable, Hashable, Codable {
    /// A class label in 0..<numClasses (the predictor maps it to its class token).
    case classLabel(Int)
    /// The null class (classifier-free guidance, unconditional generation). Only valid when the
    /// predictor has a `nullClassID`.
    case unconditional
}

/// A masked-token predictor: given the current grid (mask id at unknown positions) and a
/// condition, the logits over the image codes at every grid position.
public protocol TokenPredictor: Sendable {
    /// Number of image codes V (1024 for the official checkpoints). Ids 0..<V are image tokens.
    var codebookSize: Int { get }
    /// The fixed token grid the transformer's position table was trained for (16×16 or 32×32).
    var gridShape: GridShape { get }
    /// The id the predictor expects at masked positions (2024 for the official checkpoints).
    var maskTokenID: Int32 { get }
    /// Number of class labels (1000 for ImageNet).
    var numClasses: Int { get }
    /// The vocabulary id of the null class used for classifier-free guidance and unconditional
    /// generation; nil when the model has none (the official checkpoints), in which case
    /// guidance and `.unconditional` are unavailable.
    var nullClassID: Int? { get }

    /// Logits for every grid position: `tokens` is [N] (N = gridShape.count, mask id at unknown
    /// positions, image codes elsewhere); the result is [N, V] row-major. The predictor prepends
    /// the class token itself and drops the class position and the non-code logits (the official
    /// sampler's `logits[..., :1024]`).
    func logits(tokens: [Int32], condition: Conditioning) throws -> [Float]

    /// One forward pass per condition on the same tokens (for guidance: [cond, uncond]); returns
    /// one [N, V] array per condition. The default implementation calls `logits(tokens:condition:)`
    /// once per condition; a network conformer can batch them.
    func logits(tokens: [Int32], conditions: [Conditioning]) throws -> [[Float]]

    /// Independent forward passes (different tokens and conditions, e.g. the windows of an
    /// outpaint decoded in lockstep) in one call; returns one [N, V] array per pass, in order.
    /// The default implementation calls `logits(tokens:condition:)` once per pass; a network
    /// conformer runs them as one batch.
    func logits(batch: [PredictorPass]) throws -> [[Float]]
}

/// One forward pass of a batch: the grid's tokens ([N], mask id at unknown positions) and the
/// condition.
public struct PredictorPass: Sendable, Hashable {
    public var tokens: [Int32]
    public var condition: Conditioning

    public init(tokens: [Int32], condition: Conditioning) {
        self.tokens = tokens
        self.condition = condition
    }
}

extension TokenPredictor {
    public func logits(tokens: [Int32], conditions: [Conditioning]) throws -> [[Float]] {
        try conditions.map { try logits(tokens: tokens, condition: $0) }
    }

    public func logits(batch: [PredictorPass]) throws -> [[Float]] {
        try batch.map { try logits(tokens: $0.tokens, condition: $0.condition) }
    }

    /// Whether classifier-free guidance and `.unconditional` are available.
    public var supportsUnconditional: Bool { nullClassID != nil }
}
