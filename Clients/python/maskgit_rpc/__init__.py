"""Python client for maskgit-rpc, the MaskGIT image-editing server (JSON-RPC 2.0 on stdio).

    from maskgit_rpc import Client

    with Client(model_dir="Tests/EngineTests/Fixtures/tiny") as client:
        session = client.open_session("Examples/images/tiny16.png")
        result = session.inpaint([(8, 0, 8, 8)], class_="goldfish", seed=1)
        result.image.save("/tmp/inpainted.png")

The protocol: Protocol/README.md and Protocol/openrpc.json in the maskgit-rpc repository.
"""
from .binary import REPO_BINARY, find_binary
from .client import PROTOCOL_VERSION, Client, Progress, RequestHandle, Result, Session, __version__
from .errors import (
    Cancelled, ImageDecodeFailed, InternalError, InvalidParams, InvalidRequest, IOFailed, LimitExceeded,
    MaskSizeMismatch, MethodNotFound, ModelNotFound, NoRevision, NotInitialized, ParseError, PathNotAllowed,
    QueueFull, RPCError, SessionEvicted, SessionNotFound, ShuttingDown, StaleRevision, TransportError, Unsupported,
    error_from_response,
)
from .images import image_ref, mask_spec, rect_spec, server_path

__all__ = [
    "Client", "Session", "RequestHandle", "Result", "Progress", "PROTOCOL_VERSION", "__version__",
    "find_binary", "REPO_BINARY", "image_ref", "mask_spec", "rect_spec", "server_path", "error_from_response",
    "RPCError", "TransportError", "ParseError", "InvalidRequest", "ShuttingDown", "MethodNotFound", "InvalidParams",
    "InternalError", "SessionNotFound", "SessionEvicted", "NotInitialized", "ImageDecodeFailed", "MaskSizeMismatch",
    "ModelNotFound", "QueueFull", "LimitExceeded", "PathNotAllowed", "StaleRevision", "NoRevision", "Unsupported",
    "IOFailed", "Cancelled",
]
