// The method abstraction: one type per method (one file each under Methods/; the registry is
// Methods/Registry.swift) and the context that carries progress and cancellation.

import Foundation
import JSONRPC
import Sessions
import Synchronization

/// Sends `notifications/progress` for one request that asked for it with `_meta.progressToken`.
public struct ProgressReporter: Sendable {
    let token: JSONValue
    let send: @Sendable (JSONValue) -> Void
    private let last = LastProgress()

    init(token: JSONValue, send: @escaping @Sendable (JSONValue) -> Void) {
        self.token = token
        self.send = send
    }

    /// Reports `progress` of `total`; values that do not increase are dropped (MCP requires a
    /// strictly increasing progress value).
    public func report(progress: Double, total: Double?, message: String? = nil) {
        guard last.advance(to: progress) else { return }
        var params: JSONObject = ["progressToken": token, "progress": .double(progress)]
        if let total { params["total"] = .double(total) }
        if let message { params["message"] = .string(message) }
        send(Outgoing.notification(method: "notifications/progress", params: .object(params)))
    }
}

/// The last progress value sent, guarded by its own mutex.
final class LastProgress: Sendable {
    private let value = Mutex<Double>(-Double.infinity)
    func advance(to new: Double) -> Bool {
        value.withLock { current in
            guard new > current else { return false }
            current = new
            return true
        }
    }
}

/// What a handler knows about the request it serves.
public struct RequestContext: Sendable {
    public let id: RequestID?
    public let method: String
    /// Present when the request carried `_meta.progressToken`.
    public let progress: ProgressReporter?
    public let cancellation: Cancellation

    /// A context for calling a method in-process, with no transport: no progress
    /// notifications, a cancellation of the caller's.
    public init(id: RequestID? = nil, method: String, cancellation: Cancellation = Cancellation()) {
        self.init(id: id, method: method, progress: nil, cancellation: cancellation)
    }

    init(id: RequestID?, method: String, progress: ProgressReporter?, cancellation: Cancellation) {
        self.id = id
        self.method = method
        self.progress = progress
        self.cancellation = cancellation
    }

    /// Throws `AppError.cancelled` when a cancel arrived for this request.
    public func checkCancelled(stage: String, completedSteps: Int? = nil) throws(AppError) {
        try cancellation.check(stage: stage, completedSteps: completedSteps)
    }

    /// What an edit run by the application sees of this request: its cancellation and, when
    /// the client asked for progress, the progress notifications.
    public var editControl: EditControl {
        guard let reporter = progress else { return EditControl(cancellation: cancellation) }
        return EditControl(cancellation: cancellation) { done, total, message in
            reporter.report(progress: done, total: total, message: message)
        }
    }
}

/// One JSON-RPC method.
public protocol RPCMethod: Sendable {
    /// The method name on the wire.
    var name: String { get }
    /// Cheap methods are answered as soon as they are read, even while a long edit runs;
    /// the others run one at a time in arrival order.
    var runsImmediately: Bool { get }
    /// The parameters' wire names (the server refuses any other; a test compares them with the
    /// OpenRPC document).
    var paramNames: [String] { get }
    /// Serves one request. Throws an `AppError` for anything the client should be told (the
    /// server maps it to a JSON-RPC error: ErrorCodes.swift).
    func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue
}

extension RPCMethod {
    public var runsImmediately: Bool { false }
    public var paramNames: [String] { [] }
}

/// A method built from a closure, for small methods and tests.
public struct ClosureMethod: RPCMethod {
    public let name: String
    public let runsImmediately: Bool
    let body: @Sendable (Params, RequestContext) throws(AppError) -> JSONValue

    public init(_ name: String, runsImmediately: Bool = false,
                _ body: @escaping @Sendable (Params, RequestContext) throws(AppError) -> JSONValue) {
        self.name = name
        self.runsImmediately = runsImmediately
        self.body = body
    }

    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue {
        try body(params, context)
    }
}
