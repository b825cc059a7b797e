// DecodingError: everything the decoder rejects, with the offending name and value.

/// Errors of the parallel decoder.
public enum DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An option is out of range.
    case invalidOption(name: String, value: String)
    /// The token array does not have one entry per grid position.
    case tokenCount(expected: Int, got: Int)
    /// A token is neither an image code nor the mask id.
    case invalidToken(position: Int, value: Int32)
    /// The predictor returned logits of the wrong size.
    case logitsCount(expected: Int, got: Int)
    /// A class label outside 0..<numClasses.
    case classOutOfRange(label: Int, numClasses: Int)
    /// Guidance was asked for, but the predictor has no null class (official checkpoints).
    case guidanceUnavailable
    /// `.unconditional` was asked for, but the predictor has no null class.
    case unconditionalUnavailable
    /// The caller stopped the decode between steps.
    case cancelled(afterStep: Int)

    public var description: String {
        switch self {
        case .invalidOption(let name, let value): return "invalid decoding option \(name) = \(value)"
        case .tokenCount(let e, let g): return "expected \(e) tokens, got \(g)"
        case .invalidToken(let p, let v): return "token \(v) at position \(p) is neither a code nor the mask id"
        case .logitsCount(let e, let g): return "predictor returned \(g) logits, expected \(e)"
        case .classOutOfRange(let l, let n): return "class \(l) outside 0..<\(n)"
        case .guidanceUnavailable: return "classifier-free guidance needs a model with a null class"
        case .unconditionalUnavailable: return "unconditional decoding needs a model with a null class"
        case .cancelled(let s): return "decoding cancelled after step \(s)"
        }
    }
}
