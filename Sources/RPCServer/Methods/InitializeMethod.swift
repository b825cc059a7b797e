// initialize {protocolVersion?, clientInfo?, capabilities?}: server info, capabilities, limits
// and models. Optional: requests before it initialize implicitly (shell one-liners).

import Engine
import ImageCodecs
import JSONRPC
import Sessions

public struct InitializeMethod: RPCMethod {
    let server: ServerContext
    let methodNames: @Sendable () -> [String]
    public init(context: ServerContext, methodNames: @escaping @Sendable () -> [String]) {
        server = context
        self.methodNames = methodNames
    }
    public var name: String { "initialize" }
    public var runsImmediately: Bool { true }
    public var paramNames: [String] { ["protocolVersion", "clientInfo", "capabilities"] }

    public func handle(_ params: Params, context: RequestContext) throws(AppError) -> JSONValue {
        try params.rejectUnknown(Set(paramNames))
        // The server speaks one version and says which; the client decides whether it can use it.
        _ = try params.string("protocolVersion")
        let limits = server.sessions.limits
        let formats = JSONValue.array(ImageFormat.names.map { .string($0) })
        return .object([
            "protocolVersion": .string(protocolVersion),
            "serverInfo": .object(["name": .string("maskgit-rpc"), "version": .string(serverVersion),
                                   "compute": computeInfo()]),
            "capabilities": .object([
                "methods": .array(methodNames().sorted().map { .string($0) }),
                "batches": .bool(true),
                "progress": .object(["notification": .string("notifications/progress"), "param": .string("_meta.progressToken")]),
                "cancellation": .array([.string("$/cancelRequest"), .string("notifications/cancelled")]),
                "imageFormats": .object(["input": formats, "output": formats]),
                "imageTransports": .array(ImageTransportName.names.map { .string($0) }),
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
                "maxSteps": .int(RequestBounds.steps.upperBound),
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
