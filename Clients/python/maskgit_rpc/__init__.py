"""Python client for maskgit-rpc, the MaskGIT image-editing server (JSON-RPC 2.0 on stdio).

    from maskgit_rpc import Client

    with Client() as client:                      # the server's default model
        with client.open_session("Examples/images/cat.png") as session:
            result = session.inpaint([(16, 16, 32, 32)], class_="Animals & Nature", seed=1)
            result.image.save("/tmp/inpainted.png")

The server is found through `Client(binary=...)`, `$MASKGIT_RPC`, or `maskgit-rpc` on `PATH`
(see `find_binary`). The protocol: Protocol/README.md and Protocol/openrpc.json in the
maskgit-rpc repository.
"""
from .binary import ENV_VAR, REPO_BINARY, find_binary
from .client import (
    PROTOCOL_VERSION, Client, ForkSource, Progress, ProgressBar, ProgressCallback, ProgressLike, RequestHandle, Result,
    Session, TokenGridInfo, TokenSource, __version__, wire_name,
)
from .errors import (
    Cancelled, ImageDecodeFailed, InternalError, InvalidParams, InvalidRequest, IOFailed, LimitExceeded,
    MaskSizeMismatch, MethodNotFound, ModelNotFound, NoRevision, NotInitialized, ParseError, PathNotAllowed,
    QueueFull, RPCError, SessionEvicted, SessionNotFound, ShuttingDown, StaleRevision, TransportError, Unsupported,
    error_from_response,
)
from .images import ImageLike, MaskLike, RectLike, array_to_image, image_ref, mask_spec, rect_spec, server_path

__all__ = [
    "Client", "Session", "RequestHandle", "Result", "Progress", "ProgressBar", "ProgressCallback", "ProgressLike",
    "PROTOCOL_VERSION", "__version__", "wire_name", "TokenGridInfo", "TokenSource", "ForkSource",
    "find_binary", "ENV_VAR", "REPO_BINARY", "image_ref", "mask_spec", "rect_spec", "server_path", "array_to_image",
    "ImageLike", "MaskLike", "RectLike", "error_from_response",
    "RPCError", "TransportError", "ParseError", "InvalidRequest", "ShuttingDown", "MethodNotFound", "InvalidParams",
    "InternalError", "SessionNotFound", "SessionEvicted", "NotInitialized", "ImageDecodeFailed", "MaskSizeMismatch",
    "ModelNotFound", "QueueFull", "LimitExceeded", "PathNotAllowed", "StaleRevision", "NoRevision", "Unsupported",
    "IOFailed", "Cancelled",
]
