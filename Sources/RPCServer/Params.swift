// Params: typed access to by-name request parameters. Every failure is an invalid-params error
// (-32602) whose data names the offending field, what was expected and what came, so a client
// can point at it. Only JSON types are checked here; bounds are the application's
// (Sessions/RequestBounds.swift), checked once by EditService.

import JSONRPC
import Sessions

/// By-name parameters of one request. `path` prefixes field names in errors (e.g. `mask.rects[0].x`).
public struct Params: Sendable {
    public let object: JSONObject
    public let path: String

    public init(_ object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    /// Wraps a request's `params`: absent means empty; by-position arrays are refused.
    public init(request params: JSONValue?) throws(AppError) {
        switch params {
        case nil: self.init([:])
        case .object(let o)?: self.init(o)
        case let other?:
            throw AppError.invalidParams(field: "params", expected: "an object (parameters are by name)", got: other.typeName)
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

    public func string(_ key: String) throws(AppError) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.stringValue else { throw AppError.invalidParams(field: field(key), expected: "a string", got: v.typeName) }
        return s
    }

    public func requiredString(_ key: String) throws(AppError) -> String {
        guard let s = try string(key) else { throw AppError.invalidParams(field: field(key), expected: "a string", got: "nothing") }
        return s
    }

    public func int(_ key: String, in range: ClosedRange<Int>? = nil) throws(AppError) -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.intValue else { throw AppError.invalidParams(field: field(key), expected: "an integer", got: v.compactText) }
        if let range, !range.contains(i) {
            throw AppError.invalidParams(field: field(key), expected: "an integer in \(range.lowerBound)...\(range.upperBound)", got: String(i))
        }
        return i
    }

    public func requiredInt(_ key: String, in range: ClosedRange<Int>? = nil) throws(AppError) -> Int {
        guard let i = try int(key, in: range) else { throw AppError.invalidParams(field: field(key), expected: "an integer", got: "nothing") }
        return i
    }

    public func double(_ key: String, in range: ClosedRange<Double>? = nil) throws(AppError) -> Double? {
        guard let v = value(key) else { return nil }
        guard let d = v.doubleValue, d.isFinite else { throw AppError.invalidParams(field: field(key), expected: "a number", got: v.compactText) }
        if let range, !range.contains(d) {
            throw AppError.invalidParams(field: field(key), expected: "a number in \(range.lowerBound)...\(range.upperBound)", got: v.compactText)
        }
        return d
    }

    public func bool(_ key: String) throws(AppError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.boolValue else { throw AppError.invalidParams(field: field(key), expected: "a boolean", got: v.typeName) }
        return b
    }

    public func object(_ key: String) throws(AppError) -> Params? {
        guard let v = value(key) else { return nil }
        guard let o = v.objectValue else { throw AppError.invalidParams(field: field(key), expected: "an object", got: v.typeName) }
        return Params(o, path: field(key))
    }

    public func array(_ key: String) throws(AppError) -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard let a = v.arrayValue else { throw AppError.invalidParams(field: field(key), expected: "an array", got: v.typeName) }
        return a
    }

    /// The names present that are not in `known`, for strict handlers that refuse typos.
    public func unknownKeys(known: Set<String>) -> [String] {
        object.keys.filter { !known.contains($0) && $0 != "_meta" }
    }

    /// Throws -32602 naming the first unknown key.
    public func rejectUnknown(_ known: Set<String>) throws(AppError) {
        if let key = unknownKeys(known: known).first {
            throw AppError.invalidParams(field: field(key), expected: "a known parameter", got: "unknown parameter",
                                            detail: "known: \(known.sorted().joined(separator: ", "))")
        }
    }
}
