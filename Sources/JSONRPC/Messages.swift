// JSON-RPC 2.0 envelopes: request ids, requests, errors, and the decoding of one input line into
// a single message or a batch, following the specification's rules for invalid input.

/// A request id: a string or a number (kept as written, echoed verbatim), or null.
public enum RequestID: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case number(String)
    case null

    /// The id as it goes back into a response.
    public var json: JSONValue {
        switch self {
        case .string(let s): .string(s)
        case .number(let n): .number(n)
        case .null: .null
        }
    }

    init?(_ value: JSONValue) {
        switch value {
        case .string(let s): self = .string(s)
        case .number(let n): self = .number(n)
        case .null: self = .null
        default: return nil
        }
    }

    public var description: String { json.compactText }
}

/// A JSON-RPC error object.
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var json: JSONValue {
        var object: JSONObject = ["code": .int(code), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }

    public var description: String { "\(code) \(message)" }
}

/// The codes the specification reserves, and LSP's cancellation code.
public enum StandardErrorCode {
    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    /// LSP's RequestCancelled, used for requests stopped by a cancel notification.
    public static let requestCancelled = -32800
}

/// A well-formed request or notification.
public struct Request: Sendable, Equatable {
    /// nil for a notification (no `id` member); `.null` is a request with a null id.
    public var id: RequestID?
    public var method: String
    /// `params` as sent: an object, an array, or nil when absent.
    public var params: JSONValue?

    public init(id: RequestID?, method: String, params: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.params = params
    }

    public var isNotification: Bool { id == nil }

    /// The request as a JSON message.
    public var json: JSONValue {
        var object: JSONObject = ["jsonrpc": .string("2.0"), "method": .string(method)]
        if let params { object["params"] = params }
        if let id { object["id"] = id.json }
        return .object(object)
    }
}

/// One element of the input: a usable request, or an invalid one to answer with an error.
public enum IncomingItem: Sendable, Equatable {
    case request(Request)
    /// An invalid request; `id` is what could be read of it (nil: answer with a null id).
    case invalid(id: RequestID?, error: RPCError)
}

/// What one input line holds.
public enum IncomingMessage: Sendable, Equatable {
    case single(IncomingItem)
    /// A non-empty batch, in order.
    case batch([IncomingItem])
    /// The line cannot be used at all (parse error, empty batch): answer once with a null id.
    case unusable(RPCError)

    /// Decodes one line of input of at most `maxValues` JSON values (more → -32007
    /// `limit_exceeded`, like an oversized line).
    /// A batch of more than `maxBatch` requests is refused whole the same way, before its
    /// items are validated.
    public static func decode(_ line: [UInt8], maxValues: Int = .max, maxBatch: Int = .max) -> IncomingMessage {
        let value: JSONValue
        do {
            value = try JSONParser.parse(line, maxValues: maxValues)
        } catch {
            if let limit = error.limit {
                return .unusable(RPCError(code: -32007, message: "Message refused: \(error.description)",
                                          data: .object(["reason": .string("limit_exceeded"), "limit": .int(limit),
                                                         "field": .string(limit == maxValues ? "values" : "depth"),
                                                         "detail": .string(error.description)])))
            }
            return .unusable(RPCError(code: StandardErrorCode.parseError, message: "Parse error",
                                      data: .object(["reason": .string("parse_error"),
                                                     "detail": .string(error.description)])))
        }
        if case .array(let items) = value {
            guard !items.isEmpty else {
                return .unusable(RPCError(code: StandardErrorCode.invalidRequest, message: "Invalid Request",
                                          data: .object(["reason": .string("empty_batch")])))
            }
            guard items.count <= maxBatch else {
                return .unusable(RPCError(code: -32007, message: "Batch of \(items.count) requests exceeds the limit of \(maxBatch)",
                                          data: .object(["reason": .string("limit_exceeded"), "limit": .int(maxBatch),
                                                         "got": .int(items.count), "field": .string("batch")])))
            }
            return .batch(items.map(IncomingItem.init(validating:)))
        }
        return .single(IncomingItem(validating: value))
    }
}

extension IncomingItem {
    /// Checks one JSON value against the request object rules of JSON-RPC 2.0 §4.
    init(validating value: JSONValue) {
        func invalid(_ id: RequestID?, _ detail: String, field: String) -> IncomingItem {
            .invalid(id: id, error: RPCError(code: StandardErrorCode.invalidRequest, message: "Invalid Request",
                                             data: .object(["reason": .string("invalid_request"),
                                                            "field": .string(field),
                                                            "detail": .string(detail)])))
        }
        guard case .object(let object) = value else {
            self = invalid(nil, "a request must be a JSON object, got \(value.typeName)", field: "")
            return
        }
        var id: RequestID?
        if let rawID = object["id"] {
            guard let parsed = RequestID(rawID) else {
                self = invalid(nil, "id must be a string, a number or null, got \(rawID.typeName)", field: "id")
                return
            }
            id = parsed
        }
        guard object["jsonrpc"] == .string("2.0") else {
            self = invalid(id ?? .null, "\"jsonrpc\" must be the string \"2.0\"", field: "jsonrpc")
            return
        }
        guard case .string(let method)? = object["method"] else {
            self = invalid(id ?? .null, "\"method\" must be a string", field: "method")
            return
        }
        let params = object["params"]
        if let params {
            switch params {
            case .object, .array: break
            default:
                self = invalid(id ?? .null, "\"params\" must be an object or an array, got \(params.typeName)", field: "params")
                return
            }
        }
        self = .request(Request(id: id, method: method, params: params))
    }
}

/// Builders for outgoing messages.
public enum Outgoing {
    /// A success response.
    public static func result(id: RequestID, _ result: JSONValue) -> JSONValue {
        .object(["jsonrpc": .string("2.0"), "id": id.json, "result": result])
    }

    /// An error response; `id` nil means the id could not be read (sent as null).
    public static func error(id: RequestID?, _ error: RPCError) -> JSONValue {
        .object(["jsonrpc": .string("2.0"), "id": (id ?? .null).json, "error": error.json])
    }

    /// A notification from the server.
    public static func notification(method: String, params: JSONValue) -> JSONValue {
        .object(["jsonrpc": .string("2.0"), "method": .string(method), "params": params])
    }
}
