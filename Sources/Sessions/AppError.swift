// AppError: the one error type of the application layer and the server built on it. It says
// what went wrong (`kind`), in words (`message`) and with the facts a client can act on
// (`details`: the field, the limit, what came); it carries no JSON-RPC code. The server maps
// each kind to its code and `data.reason` in one place (RPCServer/ErrorCodes.swift).

import Editing

public struct AppError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong. Every kind has one JSON-RPC code and one `data.reason` (see the server).
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case invalidParams
        case sessionNotFound
        case sessionEvicted
        case notInitialized
        case imageDecodeFailed
        case maskSizeMismatch
        case modelNotFound
        case queueFull
        case limitExceeded
        case pathNotAllowed
        case staleRevision
        case noRevision
        case unsupported
        case shuttingDown
        case ioFailed
        case cancelled
        case `internal`
    }

    /// A detail value (the `data` members of the protocol's errors).
    public enum Detail: Sendable, Equatable {
        case int(Int)
        case string(String)
        case strings([String])
    }

    /// The details in the order they were given (the order the protocol's `data` shows them).
    public struct Details: Sendable, Equatable, ExpressibleByDictionaryLiteral {
        public private(set) var keys: [String] = []
        private var values: [String: Detail] = [:]

        public init(dictionaryLiteral elements: (String, Detail)...) {
            for (key, value) in elements { self[key] = value }
        }

        public subscript(key: String) -> Detail? {
            get { values[key] }
            set {
                if values[key] == nil, newValue != nil { keys.append(key) }
                if newValue == nil { keys.removeAll { $0 == key } }
                values[key] = newValue
            }
        }

        public var isEmpty: Bool { keys.isEmpty }
        /// (key, value) pairs in order.
        public var pairs: [(key: String, value: Detail)] { keys.map { ($0, values[$0]!) } }
    }

    public var kind: Kind
    public var message: String
    public var details: Details

    public init(_ kind: Kind, _ message: String, details: Details = [:]) {
        self.kind = kind
        self.message = message
        self.details = details
    }

    public var description: String { message }

    // MARK: The common errors, built one way

    /// Longest client-supplied text echoed in an error (longer: cut, with its length).
    public static let maxEcho = 200

    /// `text` as it may appear in an error: at most `maxEcho` characters, so a huge id or name
    /// is not sent back (twice) in full.
    public static func echo(_ text: String) -> String {
        guard text.utf8.count > maxEcho else { return text }
        return String(text.prefix(maxEcho / 2)) + "… (\(text.utf8.count) bytes)"
    }

    /// A bad parameter, naming the field, what was expected and what came.
    public static func invalidParams(field: String, expected: String, got: String? = nil, detail: String? = nil) -> AppError {
        let field = echo(field), got = got.map(echo)
        let detail = detail.map { $0.utf8.count > 10 * maxEcho ? String($0.prefix(10 * maxEcho)) + "… (cut)" : $0 }
        var details: Details = ["field": .string(field), "expected": .string(expected)]
        if let got { details["got"] = .string(got) }
        var message = "Invalid params: \(field) must be \(expected)"
        if let detail { message += " (\(detail))"; details["detail"] = .string(detail) }
        return AppError(.invalidParams, message, details: details)
    }

    /// An integer outside its bounds.
    public static func outOfRange(field: String, _ value: Int, _ range: ClosedRange<Int>) -> AppError {
        invalidParams(field: field, expected: "an integer in \(range.lowerBound)...\(range.upperBound)", got: String(value))
    }

    /// A number outside its bounds (`text`: the number as the client wrote it, when known).
    public static func outOfRange(field: String, _ value: Double, _ range: ClosedRange<Double>, text: String? = nil) -> AppError {
        invalidParams(field: field, expected: "a number in \(range.lowerBound)...\(range.upperBound)", got: text ?? numberText(value))
    }

    /// A name outside a closed vocabulary.
    public static func unknownName<V: WireVocabulary>(_ type: V.Type, field: String, got: String) -> AppError {
        invalidParams(field: field, expected: V.expectedText, got: got)
    }

    /// The request was cancelled (`stage`: where it stopped).
    public static func cancelled(stage: String, completedSteps: Int? = nil) -> AppError {
        var details: Details = ["stage": .string(stage)]
        if let completedSteps { details["completedSteps"] = .int(completedSteps) }
        return AppError(.cancelled, "Request cancelled", details: details)
    }

    /// A number as JSON writes it (integers without a fraction).
    static func numberText(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
        return "\(d)"
    }

    /// The application error for an error of the editing library (`stage`: where it happened).
    public static func from(_ error: any Error, stage: String, completedSteps: Int? = nil) -> AppError {
        if let e = error as? AppError { return e }
        if let e = error as? EditingError {
            switch e {
            case .cancelled: return cancelled(stage: stage, completedSteps: completedSteps)
            case .maskSize(let mw, let mh, let iw, let ih):
                return AppError(.maskSizeMismatch, "Mask is \(mw)x\(mh) but the image is \(iw)x\(ih)",
                                details: ["expected": .string("\(iw)x\(ih)"), "got": .string("\(mw)x\(mh)")])
            case .emptyMask: return invalidParams(field: "mask", expected: "a mask selecting at least one pixel", got: "an empty mask")
            case .invalidParameter(let name, let value): return invalidParams(field: name, expected: "a valid value", got: value)
            default: break
            }
        }
        if let e = error as? DecodingError {
            switch e {
            case .cancelled: return cancelled(stage: stage, completedSteps: completedSteps)
            case .invalidOption(let name, let value): return invalidParams(field: name, expected: "a valid value", got: value)
            case .guidanceUnavailable, .unconditionalUnavailable:
                return AppError(.unsupported, "\(e)")
            case .classOutOfRange(let label, let n):
                return invalidParams(field: "class", expected: "a class label in 0...\(n - 1)", got: String(label))
            default: break
            }
        }
        return AppError(.internal, "Internal error: \(error)", details: ["stage": .string(stage)])
    }
}
