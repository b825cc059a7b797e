// The method abstraction: one type per method (one file each under Methods/), a context that
// carries progress and cancellation, and the registry the server dispatches through.

import Foundation
import JSONRPC
import Synchronization

/// Set by a cancel notification, polled by long work between decoding steps.
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public var isCancelled: Bool { flag.load(ordering: .acquiring) }
    public func cancel() { flag.store(true, ordering: .releasing) }
}

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
    public let cancellation: CancellationFlag

    /// A context for calling a method in-process, with no transport (`maskgit-cli batch`): no
    /// progress notifications, a cancellation flag of the caller's.
    public init(id: RequestID? = nil, method: String, cancellation: CancellationFlag = CancellationFlag()) {
        self.init(id: id, method: method, progress: nil, cancellation: cancellation)
    }

    init(id: RequestID?, method: String, progress: ProgressReporter?, cancellation: CancellationFlag) {
        self.id = id
        self.method = method
        self.progress = progress
        self.cancellation = cancellation
    }

    /// Throws the -32800 cancellation error when a cancel arrived for this request.
    public func checkCancelled(stage: String, completedSteps: Int? = nil) throws(RPCError) {
        if cancellation.isCancelled { throw RequestContext.cancelledError(stage: stage, completedSteps: completedSteps) }
    }

    public static func cancelledError(stage: String, completedSteps: Int? = nil) -> RPCError {
        var data: JSONObject = ["reason": .string("cancelled"), "stage": .string(stage)]
        if let completedSteps { data["completedSteps"] = .int(completedSteps) }
        return RPCError(code: StandardErrorCode.requestCancelled, message: "Request cancelled", data: .object(data))
    }
}

/// One JSON-RPC method.
public protocol RPCMethod: Sendable {
    /// The method name on the wire.
    var name: String { get }
    /// Cheap methods are answered as soon as they are read, even while a long edit runs;
    /// the others run one at a time in arrival order.
    var runsImmediately: Bool { get }
    /// Serves one request. Throws an `RPCError` for anything the client should be told.
    func handle(_ params: Params, context: RequestContext) throws(RPCError) -> JSONValue
}

extension RPCMethod {
    public var runsImmediately: Bool { false }
}

/// A method built from a closure, for small methods and tests.
public struct ClosureMethod: RPCMethod {
    public let name: String
    public let runsImmediately: Bool
    let body: @Sendable (Params, RequestContext) throws(RPCError) -> JSONValue

    public init(_ name: String, runsImmediately: Bool = false,
                _ body: @escaping @Sendable (Params, RequestContext) throws(RPCError) -> JSONValue) {
        self.name = name
        self.runsImmediately = runsImmediately
        self.body = body
    }

    public func handle(_ params: Params, context: RequestContext) throws(RPCError) -> JSONValue {
        try body(params, context)
    }
}
