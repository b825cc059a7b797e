// Params: typed access to by-name request parameters. Every failure is a -32602 error whose data
// names the offending field, what was expected and what came, so a client can point at it.

import JSONRPC

/// The application error codes, all in -32000...-32099, each with a stable `data.reason`.
public enum ServerError {
    public static let sessionNotFound = (code: -32001, reason: "session_not_found")
    public static let notInitialized = (code: -32002, reason: "not_initialized")
    public static let imageDecodeFailed = (code: -32003, reason: "image_decode_failed")
    public static let maskSizeMismatch = (code: -32004, reason: "mask_size_mismatch")
    public static let modelNotFound = (code: -32005, reason: "model_not_found")
    public static let queueFull = (code: -32006, reason: "queue_full")
    public static let limitExceeded = (code: -32007, reason: "limit_exceeded")
    public static let pathNotAllowed = (code: -32009, reason: "path_not_allowed")
    public static let staleRevision = (code: -32010, reason: "stale_revision")
    public static let nothingToUndo = (code: -32011, reason: "no_revision")
    public static let unsupported = (code: -32012, reason: "unsupported")
    /// After `shutdown`, requests get LSP's InvalidRequest (-32600) with this reason.
    public static let shuttingDown = (code: -32600, reason: "shutting_down")
    public static let ioFailed = (code: -32014, reason: "io_failed")

    /// An application error with `data.reason` and extra details.
    public static func make(_ kind: (code: Int, reason: String), _ message: String,
                            details: JSONObject = [:]) -> RPCError {
        var data = details
        data["reason"] = .string(kind.reason)
        return RPCError(code: kind.code, message: message, data: .object(data))
    }

    /// Longest client-supplied text echoed in an error (longer: cut, with its length).
    public static let maxEcho = 200

    /// `text` as it may appear in an error: at most `maxEcho` characters, so a huge id or name
    /// is not sent back (twice) in full.
    public static func echo(_ text: String) -> String {
        guard text.utf8.count > maxEcho else { return text }
        return String(text.prefix(maxEcho / 2)) + "… (\(text.utf8.count) bytes)"
    }

    /// A -32602 error naming the field.
    public static func invalidParams(field: String, expected: String, got: String? = nil, detail: String? = nil) -> RPCError {
        let field = echo(field), got = got.map(echo)
        var data: JSONObject = ["reason": .string("invalid_params"), "field": .string(field), "expected": .string(expected)]
        if let got { data["got"] = .string(got) }
        var message = "Invalid params: \(field) must be \(expected)"
        if let detail { message += " (\(detail))"; data["detail"] = .string(detail) }
        return RPCError(code: StandardErrorCode.invalidParams, message: message, data: .object(data))
    }
}

/// By-name parameters of one request. `path` prefixes field names in errors (e.g. `mask.rects[0].x`).
public struct Params: Sendable {
    public let object: JSONObject
    public let path: String

    public init(_ object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    /// Wraps a request's `params`: absent means empty; by-position arrays are refused.
    public init(request params: JSONValue?) throws(RPCError) {
        switch params {
        case nil: self.init([:])
        case .object(let o)?: self.init(o)
        case let other?:
            throw ServerError.invalidParams(field: "params", expected: "an object (parameters are by name)", got: other.typeName)
        }
    }

    public func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func has(_ key: String) -> Bool {
        if let v = object[key], !v.isNull { return true }
        return false
    }

    public func value(_ key: String) -> JSONValue? {
        if let v = object[key], !v.isNull { return v }
        return nil
    }

    public func string(_ key: String) throws(RPCError) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.stringValue else { throw ServerError.invalidParams(field: field(key), expected: "a string", got: v.typeName) }
        return s
    }

    public func requiredString(_ key: String) throws(RPCError) -> String {
        guard let s = try string(key) else { throw ServerError.invalidParams(field: field(key), expected: "a string", got: "nothing") }
        return s
    }

    public func int(_ key: String, in range: ClosedRange<Int>? = nil) throws(RPCError) -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.intValue else { throw ServerError.invalidParams(field: field(key), expected: "an integer", got: v.compactText) }
        if let range, !range.contains(i) {
            throw ServerError.invalidParams(field: field(key), expected: "an integer in \(range.lowerBound)...\(range.upperBound)", got: String(i))
        }
        return i
    }

    public func requiredInt(_ key: String, in range: ClosedRange<Int>? = nil) throws(RPCError) -> Int {
        guard let i = try int(key, in: range) else { throw ServerError.invalidParams(field: field(key), expected: "an integer", got: "nothing") }
        return i
    }

    public func double(_ key: String, in range: ClosedRange<Double>? = nil) throws(RPCError) -> Double? {
        guard let v = value(key) else { return nil }
        guard let d = v.doubleValue, d.isFinite else { throw ServerError.invalidParams(field: field(key), expected: "a number", got: v.compactText) }
        if let range, !range.contains(d) {
            throw ServerError.invalidParams(field: field(key), expected: "a number in \(range.lowerBound)...\(range.upperBound)", got: v.compactText)
        }
        return d
    }

    public func bool(_ key: String) throws(RPCError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.boolValue else { throw ServerError.invalidParams(field: field(key), expected: "a boolean", got: v.typeName) }
        return b
    }

    public func object(_ key: String) throws(RPCError) -> Params? {
        guard let v = value(key) else { return nil }
        guard let o = v.objectValue else { throw ServerError.invalidParams(field: field(key), expected: "an object", got: v.typeName) }
        return Params(o, path: field(key))
    }

    public func array(_ key: String) throws(RPCError) -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard let a = v.arrayValue else { throw ServerError.invalidParams(field: field(key), expected: "an array", got: v.typeName) }
        return a
    }

    /// The names present that are not in `known`, for strict handlers that refuse typos.
    public func unknownKeys(known: Set<String>) -> [String] {
        object.keys.filter { !known.contains($0) && $0 != "_meta" }
    }

    /// Throws -32602 naming the first unknown key.
    public func rejectUnknown(_ known: Set<String>) throws(RPCError) {
        if let key = unknownKeys(known: known).first {
            throw ServerError.invalidParams(field: field(key), expected: "a known parameter", got: "unknown parameter",
                                            detail: "known: \(known.sorted().joined(separator: ", "))")
        }
    }
}
