// The one place application errors become JSON-RPC errors: each `AppError.Kind` has one code and
// one `data.reason` (the protocol's error table, Protocol/README.md). The application codes are
// in -32000...-32099; invalid params, cancellation and internal errors use the standard codes.

import JSONRPC
import Sessions

extension AppError.Kind {
    /// The JSON-RPC code and `data.reason` of this kind.
    public var wire: (code: Int, reason: String) {
        switch self {
        case .invalidParams: return (StandardErrorCode.invalidParams, "invalid_params")
        case .sessionNotFound: return (-32001, "session_not_found")
        case .sessionEvicted: return (-32001, "session_evicted")
        case .notInitialized: return (-32002, "not_initialized")
        case .imageDecodeFailed: return (-32003, "image_decode_failed")
        case .maskSizeMismatch: return (-32004, "mask_size_mismatch")
        case .modelNotFound: return (-32005, "model_not_found")
        case .queueFull: return (-32006, "queue_full")
        case .limitExceeded: return (-32007, "limit_exceeded")
        case .pathNotAllowed: return (-32009, "path_not_allowed")
        case .staleRevision: return (-32010, "stale_revision")
        case .noRevision: return (-32011, "no_revision")
        case .unsupported: return (-32012, "unsupported")
        // After `shutdown`, requests get LSP's InvalidRequest (-32600).
        case .shuttingDown: return (StandardErrorCode.invalidRequest, "shutting_down")
        case .ioFailed: return (-32014, "io_failed")
        case .cancelled: return (StandardErrorCode.requestCancelled, "cancelled")
        case .internal: return (StandardErrorCode.internalError, "internal")
        }
    }
}

extension RPCError {
    /// The JSON-RPC error for an application error: its kind's code, `data` = its details and
    /// `reason` (an internal error without details has no data).
    public init(_ error: AppError) {
        let (code, reason) = error.kind.wire
        if error.kind == .internal, error.details.isEmpty {
            self.init(code: code, message: error.message)
            return
        }
        // `reason` leads for invalid params, cancellation and internal errors and follows the details for the
        // application codes, as the protocol has always written them.
        var data: JSONObject = [:]
        let reasonFirst = [.invalidParams, .cancelled, .internal].contains(error.kind)
        if reasonFirst { data["reason"] = .string(reason) }
        for (key, value) in error.details.pairs {
            switch value {
            case .int(let i): data[key] = .int(i)
            case .string(let s): data[key] = .string(s)
            case .strings(let list): data[key] = .array(list.map { .string($0) })
            }
        }
        if !reasonFirst { data["reason"] = .string(reason) }
        self.init(code: code, message: error.message, data: .object(data))
    }
}
