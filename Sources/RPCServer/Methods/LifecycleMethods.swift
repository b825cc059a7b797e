// initialize, ping, rpc.discover, models.list: discovery and lifecycle. (shutdown, exit,
// initialized and the cancel notifications are built into ServerCore.)

import Engine
import JSONRPC

/// `initialize {protocolVersion?, clientInfo?, capabilities?}`: server info, capabilities,
/// limits and models. Optional: requests before it initialize implicitly (shell one-liners).
public struct InitializeMethod: RPCMethod {
    let server: ServerContext
    let methodNames: @Sendable () -> [String]
    public init(context: ServerContext, methodNames: @escaping @Sendable () -> [String]) {
        server = context
        self.methodNames = methodNames
    }
    public var name: String { "initialize" }
    public var runsImmediately: Bool { true }

    public func handle(_ params: Params, context: RequestContext) throws(RPCError) -> JSONValue {
        try params.rejectUnknown(["protocolVersion", "clientInfo", "capabilities"])
        // The server speaks one version and says which; the client decides whether it can use it.
        _ = try params.string("protocolVersion")
        let limits = server.sessions.limits
        return .object([
            "protocolVersion": .string(protocolVersion),
            "serverInfo": .object(["name": .string("maskgit-rpc"), "version": .string(serverVersion),
                                   "compute": computeInfo()]),
            "capabilities": .object([
                "methods": .array(methodNames().sorted().map { .string($0) }),
                "batches": .bool(true),
                "progress": .object(["notification": .string("notifications/progress"), "param": .string("_meta.progressToken")]),
                "cancellation": .array([.string("$/cancelRequest"), .string("notifications/cancelled")]),
                "imageFormats": .object(["input": .array([.string("png"), .string("webp"), .string("jpeg")]),
                                         "output": .array([.string("png"), .string("webp"), .string("jpeg")])]),
                "imageTransports": .array([.string("base64"), .string("path"), .string("none")]),
                "sessions": .bool(true),
            ]),
            "limits": .object([
                "maxLineBytes": .int(server.options.maxLineBytes),
                "maxPixels": .int(server.images.limits.maxPixels),
                "maxQueuedRequests": .int(server.options.maxQueuedJobs),
                "maxBatchRequests": .int(server.options.maxBatchRequests),
                "maxJSONValues": .int(server.options.maxJSONValues),
                "maxJSONDepth": .int(JSONParser.maxDepth),
                "maxFileBytes": .int(server.images.maxFileBytes),
                "maxMaskRects": .int(server.options.maxMaskRects),
                "maxOutpaintWindows": .int(server.options.maxOutpaintWindows),
                "maxSteps": .int(64),
                "maxSessions": .int(limits.maxSessions),
                "sessionMemoryBudgetBytes": .int(limits.memoryBudgetBytes),
                "maxUndo": .int(limits.maxRevisions - 1),
                "allowedRoots": .array(server.images.allowedRoots.map { .string($0.path) }),
            ]),
            "models": .array(server.modelOrder.compactMap { server.models[$0].map { server.describe($0) } }),
        ])
    }
}

/// The kernels' backend, instruction set, precision (`--precision`) and thread count.
func computeInfo() -> JSONValue {
    let info = ComputeInfo.fields
    return .object(["backend": .string(info.backend), "isa": .string(info.isa), "precision": .string(info.precision),
                    "nativeBF16": .bool(info.nativeBF16), "threads": .int(info.threads)])
}

/// `ping`: `{}` at once.
public struct PingMethod: RPCMethod {
    public init() {}
    public var name: String { "ping" }
    public var runsImmediately: Bool { true }
    public func handle(_ params: Params, context: RequestContext) throws(RPCError) -> JSONValue { .object([:]) }
}

/// `rpc.discover`: the OpenRPC document (Protocol/openrpc.json).
public struct DiscoverMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "rpc.discover" }
    public var runsImmediately: Bool { true }
    public func handle(_ params: Params, context: RequestContext) throws(RPCError) -> JSONValue { server.openRPCDocument }
}

/// `models.list {classes?}`: every model with its classes and capability flags.
public struct ModelsListMethod: RPCMethod {
    let server: ServerContext
    public init(context: ServerContext) { server = context }
    public var name: String { "models.list" }
    public var runsImmediately: Bool { true }
    public func handle(_ params: Params, context: RequestContext) throws(RPCError) -> JSONValue {
        try params.rejectUnknown(["classes"])
        let classes = try params.bool("classes") ?? true
        return .object(["models": .array(server.modelOrder.compactMap { server.models[$0].map { server.describe($0, includeClasses: classes) } })])
    }
}

/// Every method of the server, wired to one context.
public func makeMethods(context: ServerContext, methodNames: @escaping @Sendable () -> [String]) -> [any RPCMethod] {
    var methods: [any RPCMethod] = [
        InitializeMethod(context: context, methodNames: methodNames), PingMethod(), DiscoverMethod(context: context),
        ModelsListMethod(context: context),
        SessionOpenMethod(context: context), SessionInfoMethod(context: context),
        SessionMoveMethod(context: context, undo: true), SessionMoveMethod(context: context, undo: false),
        SessionExportMethod(context: context), SessionCloseMethod(context: context), SessionListMethod(context: context),
    ]
    methods += EditMethod.Kind.allCases.map { EditMethod($0, context: context) }
    return methods
}
