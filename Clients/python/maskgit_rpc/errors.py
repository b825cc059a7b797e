"""JSON-RPC errors of maskgit-rpc as Python exceptions.

Every error answer becomes an `RPCError` subclass chosen by `data.reason` first, then by `code`
(the table is Protocol/README.md's). `RPCError.reason` and `RPCError.field` are shortcuts into
`data`.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Type


class RPCError(Exception):
    """An error answer: `code`, `message`, `data` (a dict or None), `reason` (`data.reason`)."""

    code: int | None = None

    def __init__(self, code: int, message: str, data: Any = None, method: str | None = None):
        super().__init__(f"{message} (code {code}{', ' + method if method else ''})")
        self.code = code
        self.message = message
        self.data = data
        self.method = method

    @property
    def reason(self) -> str | None:
        return self.data.get("reason") if isinstance(self.data, dict) else None

    @property
    def field(self) -> str | None:
        """The parameter the server blames (`data.field`), e.g. `mask.rects[0]`."""
        return self.data.get("field") if isinstance(self.data, dict) else None


class ParseError(RPCError):
    code = -32700


class InvalidRequest(RPCError):
    code = -32600


class ShuttingDown(InvalidRequest):
    """A request after `shutdown` (-32600 with reason `shutting_down`)."""


class MethodNotFound(RPCError):
    code = -32601


class InvalidParams(RPCError):
    code = -32602


class InternalError(RPCError):
    code = -32603


class SessionNotFound(RPCError):
    code = -32001


class SessionEvicted(SessionNotFound):
    """The session was evicted (least recently used) to keep within the session limits."""


class NotInitialized(RPCError):
    code = -32002


class ImageDecodeFailed(RPCError):
    code = -32003


class MaskSizeMismatch(RPCError):
    code = -32004


class ModelNotFound(RPCError):
    code = -32005


class QueueFull(RPCError):
    code = -32006


class LimitExceeded(RPCError):
    code = -32007


class PathNotAllowed(RPCError):
    code = -32009


class StaleRevision(RPCError):
    code = -32010


class NoRevision(RPCError):
    """Nothing to undo or redo."""

    code = -32011


class Unsupported(RPCError):
    code = -32012


class IOFailed(RPCError):
    code = -32014


class Cancelled(RPCError):
    """The request was cancelled (-32800); `data.stage` says where it stopped."""

    code = -32800


class TransportError(Exception):
    """The server process is gone or its output is not JSON-RPC (no error answer exists)."""


_BY_REASON = {
    "shutting_down": ShuttingDown,
    "session_evicted": SessionEvicted,
}
_BY_CODE = {cls.code: cls for cls in [
    ParseError, InvalidRequest, MethodNotFound, InvalidParams, InternalError, SessionNotFound,
    NotInitialized, ImageDecodeFailed, MaskSizeMismatch, ModelNotFound, QueueFull, LimitExceeded,
    PathNotAllowed, StaleRevision, NoRevision, Unsupported, IOFailed, Cancelled,
]}
_BY_CODE[-32013] = ShuttingDown


def error_from_response(error: Dict[str, Any], method: Optional[str] = None) -> RPCError:
    """The exception for a response's `error` member."""
    code = error.get("code", -32603)
    data = error.get("data")
    reason = data.get("reason") if isinstance(data, dict) else None
    cls: Type[RPCError] = (_BY_REASON.get(reason) if isinstance(reason, str) else None) or _BY_CODE.get(code, RPCError)
    return cls(code, error.get("message", ""), data, method)
