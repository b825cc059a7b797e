"""The client: one maskgit-rpc subprocess, spoken to in line-delimited JSON-RPC 2.0.

Threads: the caller's threads write requests (under a lock); one reader thread reads the
server's stdout, calls progress callbacks and completes pending requests; one more thread keeps
the tail of the server's stderr for error messages. Progress callbacks run on the reader thread,
always before the result of their request is delivered.
"""
from __future__ import annotations

import collections
import itertools
import json
import os
import re
import subprocess
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import (
    IO, TYPE_CHECKING, Any, Callable, Deque, Dict, Iterable, List, Literal, Mapping, Optional, Protocol, Tuple, Type,
    TypedDict, Union, cast, overload,
)

from .binary import find_binary
from .errors import Cancelled, RPCError, TransportError, error_from_response
from .images import ImageLike, MaskLike, RectLike, image_bytes, image_ref, mask_spec, rect_spec

if TYPE_CHECKING:
    import numpy
    from PIL import Image as PILImage

#: The protocol version this client was written for (Protocol/CHANGELOG.md).
PROTOCOL_VERSION = "2026-11-29"
__version__ = "0.2.0"


@dataclass(frozen=True)
class Progress:
    """One `notifications/progress`: `progress` of `total` (decode steps), with a message."""

    progress: float
    total: Optional[float]
    message: Optional[str]


class TokenGridInfo(TypedDict):
    """A session revision's token grid (`SessionSummary.tokens`): its shape and how many of its
    tokens are known (encoded or generated; the rest are encoded when an edit needs them)."""

    height: int
    width: int
    known: int


class TokenSource(TypedDict):
    """`session.open {reuseTokens: true}` → `tokensFrom`: the open session revision whose token
    grid the new session started from (same model, size and RGB samples), and the known tokens
    it took over."""

    session: str
    revision: int
    known: int


class ForkSource(TypedDict):
    """`session.fork` → `forkedFrom`: the session and revision the branch was made of."""

    session: str
    revision: int


class ProgressBar(Protocol):
    """What a tqdm bar offers (`tqdm.tqdm`, `tqdm.auto.tqdm`): passed as `progress=`, it gets
    its `total` set and is advanced to each step (`update` by the difference)."""

    total: Any
    n: Any

    def update(self, n: float = 1) -> Any: ...


#: A progress callback (called with each `Progress` on the reader thread) or a tqdm-like bar.
ProgressCallback = Callable[[Progress], None]
ProgressLike = Union[ProgressCallback, ProgressBar]


def _progress_callback(progress: Optional[ProgressLike]) -> Optional[ProgressCallback]:
    """A callback for `progress`: itself when callable, else one that drives a tqdm-like bar."""
    if progress is None or callable(progress):
        return progress
    if not hasattr(progress, "update"):
        raise TypeError(f"progress must be a callable or a tqdm-like bar (with update()), not {type(progress).__name__}")
    bar = progress

    def advance(event: Progress) -> None:
        if event.total is not None and bar.total != event.total:
            bar.total = event.total
            refresh = getattr(bar, "refresh", None)
            if callable(refresh):
                refresh()
        if event.message is not None and callable(getattr(bar, "set_postfix_str", None)):
            getattr(bar, "set_postfix_str")(event.message, refresh=False)
        done = getattr(bar, "n", 0) or 0
        if event.progress > done:
            bar.update(event.progress - done)

    return advance


class Result(Dict[str, Any]):
    """A result object: the answer's dict, with typed shortcuts. The image is decoded on first
    use of `.image` (or `.array()`) and kept; `.image_bytes` reads it once."""

    _NOT_READ: Any = object()

    def __init__(self, value: Mapping[str, Any] = ()) -> None:  # type: ignore[assignment]
        super().__init__(value)
        self._bytes: Any = Result._NOT_READ
        self._image: Any = Result._NOT_READ

    @property
    def image_bytes(self) -> Optional[bytes]:
        """The encoded result image (PNG, WebP or JPEG bytes), or None (`output.transport` "none")."""
        if self._bytes is Result._NOT_READ:
            self._bytes = image_bytes(self.get("image"))
        return cast(Optional[bytes], self._bytes)

    @property
    def image(self) -> Optional["PILImage.Image"]:
        """The result image as a PIL image (decoded once, on first use), or None."""
        if self._image is Result._NOT_READ:
            data = self.image_bytes
            self._image = None if data is None else _decode(data)
        return cast(Optional["PILImage.Image"], self._image)

    def array(self) -> "numpy.ndarray[Any, Any]":
        """The result image as a numpy uint8 array (H×W×3 or H×W×4); raises ValueError when the
        result carries no pixels."""
        import numpy as np

        image = self.image
        if image is None:
            raise ValueError("the result carries no image (output.transport was \"none\")")
        return np.asarray(image)

    @property
    def seed(self) -> Optional[int]:
        """The seed the edit used (give it back to reproduce the edit)."""
        return cast(Optional[int], self.get("seed"))

    @property
    def size(self) -> Tuple[int, int]:
        """(width, height) of the result."""
        return cast(int, self["width"]), cast(int, self["height"])

    @property
    def session(self) -> Optional["Session"]:
        """The session of the edit, or the one `generate(open_session=True)` opened."""
        value = self.get("session")
        return value if isinstance(value, Session) else None


def _decode(data: bytes) -> "PILImage.Image":
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    return image


_CAMEL = re.compile(r"_([a-z0-9])")


def wire_name(name: str) -> str:
    """The protocol's name for a keyword option: snake_case to camelCase (`mask_policy` →
    `maskPolicy`, `start_step` → `startStep`); camelCase names and `_meta` pass unchanged."""
    if name.startswith("_") or "_" not in name:
        return name
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


class RequestHandle:
    """A request in flight: `result()` waits for it, `cancel()` asks the server to stop it."""

    def __init__(self, client: "Client", request_id: int, method: str, progress: Optional[ProgressCallback],
                 transform: Optional[Callable[[Any], Any]] = None):
        self.id = request_id
        self.method = method
        self._client = client
        self._progress = progress
        self._transform = transform
        self._done = threading.Event()
        self._response: Optional[Dict[str, Any]] = None
        self._failure: Optional[BaseException] = None
        self._callback_error: Optional[BaseException] = None
        self._token: Any = None

    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        """Sends `$/cancelRequest {id}`. The request still gets an answer: -32800 (raised as
        `Cancelled` by `result()`) if the cancel arrived in time, else its normal result."""
        if not self.done():
            self._client.notify("$/cancelRequest", {"id": self.id})

    def result(self, timeout: Optional[float] = None) -> Any:
        """The result; raises the request's `RPCError` (e.g. `Cancelled`), `TimeoutError` when
        `timeout` seconds pass (the request goes on), `TransportError`, or the first exception a
        progress callback raised (later progress is then not delivered)."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"{self.method} (id {self.id}) not answered within {timeout} s")
        if self._failure is not None:
            raise self._failure
        if self._callback_error is not None:
            raise self._callback_error
        response = self._response or {}
        if "error" in response:
            raise error_from_response(response["error"], self.method)
        value = response.get("result")
        return self._transform(value) if self._transform else value

    # Called by the reader thread.
    def _on_progress(self, params: Dict[str, Any]) -> None:
        if self._progress is None or self._callback_error is not None:
            return
        try:
            self._progress(Progress(params.get("progress", 0), params.get("total"), params.get("message")))
        except BaseException as error:  # noqa: BLE001 - the reader thread must survive; result() re-raises it
            self._callback_error = error

    def _complete(self, response: Optional[Dict[str, Any]] = None, failure: Optional[BaseException] = None) -> None:
        self._response = response
        self._failure = failure
        self._done.set()


PathLike = Union[str, "os.PathLike[str]"]


class Client:
    """A maskgit-rpc server process and a connection to it.

    `binary`: the executable (default: `$MASKGIT_RPC`, then `maskgit-rpc` on `PATH`; see
    `find_binary`); `model_dir`: a model directory (`--model`; None = the server's default
    model); `args`: more flags (`--allow-root DIR`, `--max-sessions N`, ...); `env`: the
    environment. Use as a context manager, or call `close()`: it sends `shutdown` and `exit`
    and waits.
    """

    def __init__(self, binary: Optional[PathLike] = None, model_dir: Optional[PathLike] = None,
                 args: Iterable[Any] = (), env: Optional[Mapping[str, str]] = None, cwd: Optional[PathLike] = None,
                 initialize: bool = True, client_info: Optional[Dict[str, Any]] = None):
        command = [find_binary(binary)]
        if model_dir is not None:
            command += ["--model", os.fspath(model_dir)]
        command += [str(a) for a in args]
        self.command = command
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, env=env, cwd=cwd)
        self._stdin = cast(IO[bytes], self._process.stdin)
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self._pending: Dict[int, RequestHandle] = {}
        self._by_token: Dict[Any, RequestHandle] = {}
        self._pending_lock = threading.Lock()
        self._stderr_tail: Deque[str] = collections.deque(maxlen=50)
        #: Answers with `"id": null` (parse errors, oversize lines): the server could not tell
        #: which request they belong to.
        self.unmatched_errors: List[Dict[str, Any]] = []
        self._closed = False
        self._reader = threading.Thread(target=self._read_stdout, name="maskgit-rpc reader", daemon=True)
        self._reader.start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, name="maskgit-rpc stderr", daemon=True)
        self._stderr_reader.start()
        self.server_info: Optional[Dict[str, Any]] = None
        if initialize:
            self.initialize(client_info=client_info)

    # MARK: Context manager and shutdown

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], value: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        self.close()

    @property
    def returncode(self) -> Optional[int]:
        return self._process.poll()

    @property
    def stderr_tail(self) -> str:
        """The last lines the server logged to stderr."""
        return "\n".join(self._stderr_tail)

    def close(self, timeout: float = 10.0) -> int:
        """`shutdown` then `exit`, then waits for the process (terminating it after `timeout`
        seconds). Returns its exit status (0 after a clean shutdown)."""
        if not self._closed and self._process.poll() is None:
            self._closed = True
            try:
                self.request("shutdown", None, timeout=timeout)
                self.notify("exit")
            except (RPCError, TransportError, TimeoutError, OSError):
                pass
            try:
                self._stdin.close()
            except OSError:
                pass
        self._closed = True
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.terminate()
            try:
                return self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                return self._process.wait()

    # MARK: Requests

    def submit(self, method: str, params: Optional[Dict[str, Any]] = None, progress: Optional[ProgressLike] = None,
               transform: Optional[Callable[[Any], Any]] = None) -> RequestHandle:
        """Sends a request and returns at once with its handle. `progress` (a callable getting
        each `Progress`, or a tqdm bar) makes the request carry `_meta.progressToken`."""
        callback = _progress_callback(progress)
        request_id = next(self._ids)
        handle = RequestHandle(self, request_id, method, callback, transform)
        message: Dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        token = None
        if params is not None or callback is not None:
            params = dict(params or {})
            if callback is not None:
                # The caller's own _meta.progressToken is kept; else the request id is the token.
                token = params.get("_meta", {}).get("progressToken", request_id)
                params["_meta"] = {**params.get("_meta", {}), "progressToken": token}
            message["params"] = params
        with self._pending_lock:
            self._pending[request_id] = handle
            if token is not None:
                self._by_token[token] = handle
                handle._token = token
        try:
            self._send(message)
        except TransportError as error:
            self._finish(request_id, failure=error)
        return handle

    def request(self, method: str, params: Optional[Dict[str, Any]] = None, progress: Optional[ProgressLike] = None,
                timeout: Optional[float] = None, transform: Optional[Callable[[Any], Any]] = None) -> Any:
        """Sends a request and waits for its result. On `timeout` the request is cancelled
        and TimeoutError raised."""
        handle = self.submit(method, params, progress, transform)
        try:
            return handle.result(timeout)
        except TimeoutError:
            handle.cancel()
            raise

    def notify(self, method: str, params: Optional[Dict[str, Any]] = None) -> None:
        """Sends a notification (no answer comes)."""
        message: Dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self._send(message)

    def _send(self, message: Dict[str, Any]) -> None:
        # Compact JSON never contains a raw newline (json escapes them inside strings).
        line = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"
        with self._write_lock:
            try:
                self._stdin.write(line)
                self._stdin.flush()
            except (BrokenPipeError, ValueError, OSError) as error:
                raise TransportError(f"the server is not running ({error}); stderr:\n{self.stderr_tail}") from error

    def _finish(self, request_id: Any, response: Optional[Dict[str, Any]] = None,
                failure: Optional[BaseException] = None) -> None:
        with self._pending_lock:
            handle = self._pending.pop(request_id, None)
            if handle is not None and handle._token is not None:
                self._by_token.pop(handle._token, None)
        if handle is not None:
            handle._complete(response, failure)

    def _read_stdout(self) -> None:
        for raw in cast(IO[bytes], self._process.stdout):
            try:
                message = json.loads(raw)
            except ValueError:
                continue  # not ours to interpret; the server never writes non-JSON to stdout
            for item in message if isinstance(message, list) else [message]:
                self._dispatch(item)
        # End of output: the server exited. Fail whatever is still waiting, with its last words.
        self._process.wait()
        self._stderr_reader.join(5)
        failure = TransportError(f"maskgit-rpc exited with status {self._process.returncode}; stderr:\n{self.stderr_tail}")
        with self._pending_lock:
            ids = list(self._pending)
        for request_id in ids:
            self._finish(request_id, failure=failure)

    def _dispatch(self, item: Any) -> None:
        if not isinstance(item, dict):
            return
        if item.get("method") == "notifications/progress":
            params = item.get("params") or {}
            with self._pending_lock:
                handle = self._by_token.get(params.get("progressToken"))
            if handle is not None:
                handle._on_progress(params)
            return
        if "id" in item and ("result" in item or "error" in item):
            if item["id"] is None:
                self.unmatched_errors.append(item)
            else:
                self._finish(item["id"], response=item)

    def _read_stderr(self) -> None:
        for raw in cast(IO[bytes], self._process.stderr):
            self._stderr_tail.append(raw.decode("utf-8", "replace").rstrip("\n"))

    # MARK: Convenience methods

    def initialize(self, protocol_version: str = PROTOCOL_VERSION,
                   client_info: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """`initialize`: the server's protocol version, capabilities, limits and models."""
        info = client_info or {"name": "maskgit-rpc-client (Python)", "version": __version__}
        self.server_info = cast(Dict[str, Any],
                                self.request("initialize", {"protocolVersion": protocol_version, "clientInfo": info}))
        return self.server_info

    def ping(self) -> Dict[str, Any]:
        return cast(Dict[str, Any], self.request("ping"))

    def discover(self) -> Dict[str, Any]:
        """`rpc.discover`: the OpenRPC document."""
        return cast(Dict[str, Any], self.request("rpc.discover"))

    def models(self, classes: bool = True) -> List[Dict[str, Any]]:
        """`models.list`: every model with its capabilities (and class names)."""
        return cast(List[Dict[str, Any]], self.request("models.list", {"classes": classes})["models"])

    def class_names(self, model: Optional[str] = None) -> List[str]:
        """The class names of `model` (default: the default model), in label order."""
        for entry in self.models():
            if entry["name"] == model or (model is None and entry.get("default")):
                return cast(List[str], entry["classes"])
        raise KeyError(f"no model {model!r}")

    def vocabularies(self, model: Optional[str] = None) -> Dict[str, List[str]]:
        """The names the server accepts for each closed parameter of `model` (default: the
        default model), from `models.list` capabilities (samplers, schedules, maskPolicies,
        composites, rng, guidanceRamps) and `initialize` (imageFormats, imageTransports). The
        server is their one source; build menus and checks from this, not from a copy."""
        for entry in self.models(classes=False):
            if entry["name"] == model or (model is None and entry.get("default")):
                found = {k: list(v) for k, v in entry["capabilities"].items() if isinstance(v, list)}
                break
        else:
            raise KeyError(f"no model {model!r}")
        info = self.server_info or self.initialize()
        found["imageFormats"] = list(info["capabilities"]["imageFormats"]["output"])
        found["imageTransports"] = list(info["capabilities"]["imageTransports"])
        return found

    def list_sessions(self) -> Dict[str, Any]:
        return cast(Dict[str, Any], self.request("session.list"))

    @overload
    def generate(self, class_: Union[int, str, None] = None, *, open_session: bool = False,
                 progress: Optional[ProgressLike] = None, wait: Literal[True] = True, **options: Any) -> Result: ...

    @overload
    def generate(self, class_: Union[int, str, None] = None, *, open_session: bool = False,
                 progress: Optional[ProgressLike] = None, wait: Literal[False], **options: Any) -> RequestHandle: ...

    def generate(self, class_: Union[int, str, None] = None, *, open_session: bool = False,
                 progress: Optional[ProgressLike] = None, wait: bool = True, **options: Any) -> Union[Result, RequestHandle]:
        """`generate`: a new image of class `class_` (label or name). With `open_session`
        the result's `session` is a `Session`. `options`: seed, steps, model, output, ..."""
        params = _edit_params(options, class_)
        if open_session:
            params["openSession"] = True
        return self._edit("generate", params, progress, wait)

    @overload
    def inpaint(self, image: ImageLike, mask: MaskLike, class_: Union[int, str, None] = None, *,
                progress: Optional[ProgressLike] = None, wait: Literal[True] = True, **options: Any) -> Result: ...

    @overload
    def inpaint(self, image: ImageLike, mask: MaskLike, class_: Union[int, str, None] = None, *,
                progress: Optional[ProgressLike] = None, wait: Literal[False], **options: Any) -> RequestHandle: ...

    def inpaint(self, image: ImageLike, mask: MaskLike, class_: Union[int, str, None] = None, *,
                progress: Optional[ProgressLike] = None, wait: bool = True, **options: Any) -> Union[Result, RequestHandle]:
        """`inpaint` on an image: `mask` is a mask image or array, a list of `(x, y, w, h)` or a Mask dict."""
        params = _edit_params(options, class_)
        params.update(image=image_ref(image), mask=mask_spec(mask))
        return self._edit("inpaint", params, progress, wait)

    @overload
    def outpaint(self, image: ImageLike, *, left: int = 0, top: int = 0, right: int = 0, bottom: int = 0,
                 class_: Union[int, str, None] = None, progress: Optional[ProgressLike] = None,
                 wait: Literal[True] = True, **options: Any) -> Result: ...

    @overload
    def outpaint(self, image: ImageLike, *, left: int = 0, top: int = 0, right: int = 0, bottom: int = 0,
                 class_: Union[int, str, None] = None, progress: Optional[ProgressLike] = None,
                 wait: Literal[False], **options: Any) -> RequestHandle: ...

    def outpaint(self, image: ImageLike, *, left: int = 0, top: int = 0, right: int = 0, bottom: int = 0,
                 class_: Union[int, str, None] = None, progress: Optional[ProgressLike] = None, wait: bool = True,
                 **options: Any) -> Union[Result, RequestHandle]:
        """`outpaint`: extends `image` by the given margins in pixels."""
        params = _edit_params(options, class_)
        params.update(image=image_ref(image), **_margins(left, top, right, bottom))
        return self._edit("outpaint", params, progress, wait)

    @overload
    def class_edit(self, image: ImageLike, class_: Union[int, str], *, rect: Optional[RectLike] = None,
                   mask: Optional[MaskLike] = None, progress: Optional[ProgressLike] = None,
                   wait: Literal[True] = True, **options: Any) -> Result: ...

    @overload
    def class_edit(self, image: ImageLike, class_: Union[int, str], *, rect: Optional[RectLike] = None,
                   mask: Optional[MaskLike] = None, progress: Optional[ProgressLike] = None,
                   wait: Literal[False], **options: Any) -> RequestHandle: ...

    def class_edit(self, image: ImageLike, class_: Union[int, str], *, rect: Optional[RectLike] = None,
                   mask: Optional[MaskLike] = None, progress: Optional[ProgressLike] = None, wait: bool = True,
                   **options: Any) -> Union[Result, RequestHandle]:
        """`classEdit`: regenerates `rect` (x, y, w, h) or `mask` as class `class_`."""
        params = _edit_params(options, class_)
        params["image"] = image_ref(image)
        params.update(_region(rect, mask))
        return self._edit("classEdit", params, progress, wait)

    def open_session(self, image: ImageLike, model: Optional[str] = None,
                     progress: Optional[ProgressLike] = None, *, reuse_tokens: bool = False) -> "Session":
        """`session.open`: a `Session` on `image` for iterative edits (each edit encodes only
        what it needs, once; a context manager: leaving the `with` closes it on the server).

        `reuse_tokens=True` (`reuseTokens`) starts its token grid from an open session revision
        of the same model with the same size and RGB samples, e.g. a result an edit returned:
        nothing that grid knows is encoded again, and `Session.tokens_from` names the revision
        (None when no open revision matched: the session then starts empty)."""
        params: Dict[str, Any] = {"image": image_ref(image)}
        if model is not None:
            params["model"] = model
        if reuse_tokens:
            params[wire_name("reuse_tokens")] = True
        return Session(self, self.request("session.open", params, progress))

    def _edit(self, method: str, params: Dict[str, Any], progress: Optional[ProgressLike], wait: bool,
              session: "Optional[Session]" = None) -> Union[Result, RequestHandle]:
        def transform(value: Any) -> Result:
            result = Result(value)
            if session is not None and "session" in result:
                session.summary = result["session"]
                result["session"] = session
            elif "session" in result:
                result["session"] = Session(self, result["session"])
            return result

        handle = self.submit(method, params, progress, transform)
        return cast(Result, handle.result()) if wait else handle


class Session:
    """An open session: the server keeps its image, token grid and undo history. `summary` is
    the last SessionSummary the server sent (id, revision, size, canUndo, canRedo, ...). Use it
    as a context manager to close it on the server at the end of the block."""

    def __init__(self, client: Client, summary: Mapping[str, Any]):
        self.client = client
        self.summary: Dict[str, Any] = dict(summary)
        self.id: str = summary["id"]
        self.closed = False
        #: Where `open_session(reuse_tokens=True)` took the token grid from (None: started empty,
        #: or not opened that way).
        self.tokens_from: Optional[TokenSource] = _token_source(summary.get("tokensFrom"))
        #: The session and revision `fork()` made this session of (None: not a fork).
        self.forked_from: Optional[ForkSource] = _fork_source(summary.get("forkedFrom"))
        #: Sessions the server evicted to make room for this one (`evictedSessions`).
        self.evicted_sessions: List[str] = [str(e) for e in summary.get("evictedSessions") or []]

    def __repr__(self) -> str:
        return f"Session({self.id!r}, revision={self.summary.get('revision')})"

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], value: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        if self.closed or self.client.returncode is not None:
            return
        try:
            self.close()
        except (RPCError, TransportError):
            if kind is None:  # an error of the block wins over one of closing
                raise

    @property
    def revision(self) -> int:
        return cast(int, self.summary["revision"])

    @property
    def size(self) -> Tuple[int, int]:
        return cast(int, self.summary["width"]), cast(int, self.summary["height"])

    @property
    def tokens(self) -> TokenGridInfo:
        """The current revision's token grid: shape and known tokens (as last reported)."""
        grid = self.summary["tokens"]
        return TokenGridInfo(height=int(grid["height"]), width=int(grid["width"]), known=int(grid["known"]))

    def fork(self, revision: Optional[int] = None) -> "Session":
        """`session.fork`: a new session holding one revision of this one (default: the current
        one), its image and token grid, as its only revision 0; edits of either session leave the
        other alone and nothing is encoded again. `forked_from` of the new session names the
        revision. Raises `NoRevision` for a revision this session does not keep."""
        params: Dict[str, Any] = {"session": self.id}
        if revision is not None:
            params["revision"] = revision
        return Session(self.client, self.client.request("session.fork", params))

    def _move(self, method: str, with_image: bool) -> Result:
        params: Dict[str, Any] = {"session": self.id}
        if not with_image:
            params["output"] = {"transport": "none"}
        result = Result(self.client.request(method, params))
        self.summary = {k: v for k, v in result.items() if k not in ("image", "evictedSessions")}
        return result

    def info(self) -> Dict[str, Any]:
        """`session.info` (answered at once, even while an edit runs)."""
        self.summary = cast(Dict[str, Any], self.client.request("session.info", {"session": self.id}))
        return self.summary

    @overload
    def inpaint(self, mask: MaskLike, class_: Union[int, str, None] = None, *, progress: Optional[ProgressLike] = None,
                wait: Literal[True] = True, **options: Any) -> Result: ...

    @overload
    def inpaint(self, mask: MaskLike, class_: Union[int, str, None] = None, *, progress: Optional[ProgressLike] = None,
                wait: Literal[False], **options: Any) -> RequestHandle: ...

    def inpaint(self, mask: MaskLike, class_: Union[int, str, None] = None, *, progress: Optional[ProgressLike] = None,
                wait: bool = True, **options: Any) -> Union[Result, RequestHandle]:
        params = _edit_params(options, class_)
        params.update(session=self.id, mask=mask_spec(mask))
        return self.client._edit("inpaint", params, progress, wait, session=self)

    @overload
    def outpaint(self, *, left: int = 0, top: int = 0, right: int = 0, bottom: int = 0,
                 class_: Union[int, str, None] = None, progress: Optional[ProgressLike] = None,
                 wait: Literal[True] = True, **options: Any) -> Result: ...

    @overload
    def outpaint(self, *, left: int = 0, top: int = 0, right: int = 0, bottom: int = 0,
                 class_: Union[int, str, None] = None, progress: Optional[ProgressLike] = None,
                 wait: Literal[False], **options: Any) -> RequestHandle: ...

    def outpaint(self, *, left: int = 0, top: int = 0, right: int = 0, bottom: int = 0,
                 class_: Union[int, str, None] = None, progress: Optional[ProgressLike] = None, wait: bool = True,
                 **options: Any) -> Union[Result, RequestHandle]:
        params = _edit_params(options, class_)
        params.update(session=self.id, **_margins(left, top, right, bottom))
        return self.client._edit("outpaint", params, progress, wait, session=self)

    @overload
    def class_edit(self, class_: Union[int, str], *, rect: Optional[RectLike] = None, mask: Optional[MaskLike] = None,
                   progress: Optional[ProgressLike] = None, wait: Literal[True] = True, **options: Any) -> Result: ...

    @overload
    def class_edit(self, class_: Union[int, str], *, rect: Optional[RectLike] = None, mask: Optional[MaskLike] = None,
                   progress: Optional[ProgressLike] = None, wait: Literal[False], **options: Any) -> RequestHandle: ...

    def class_edit(self, class_: Union[int, str], *, rect: Optional[RectLike] = None, mask: Optional[MaskLike] = None,
                   progress: Optional[ProgressLike] = None, wait: bool = True,
                   **options: Any) -> Union[Result, RequestHandle]:
        params = _edit_params(options, class_)
        params["session"] = self.id
        params.update(_region(rect, mask))
        return self.client._edit("classEdit", params, progress, wait, session=self)

    def undo(self, with_image: bool = False) -> Result:
        """`session.undo`: back to the previous revision (raises `NoRevision` at the first)."""
        return self._move("session.undo", with_image)

    def redo(self, with_image: bool = False) -> Result:
        return self._move("session.redo", with_image)

    def export(self, path: Optional[PathLike] = None, *, format: Optional[str] = None,
               server_path: Optional[PathLike] = None, quality: Optional[float] = None) -> Optional["PILImage.Image"]:
        """`session.export`: the current image as a PIL image. With `path` the encoded file is
        also written here (atomically); with `server_path` the server writes it (the path must
        be under its `--allow-root`) and the image is read back from there.

        `format` ("png", "webp" or "jpeg"; `quality` for lossy WebP and JPEG) defaults to the
        one `path`'s or `server_path`'s extension names (.png, .webp, .jpg/.jpeg), else PNG; a
        `format` that contradicts an extension raises ValueError (the server refuses the same
        contradiction for `server_path`)."""
        if path is not None:
            named = format_of_path(path)
            if format is not None and named is not None and _canonical(format) != named:
                raise ValueError(f"{os.fspath(path)} names {named}, but format is {format}")
            format = format or named
        output: Dict[str, Any] = {}
        if format is not None:
            output["format"] = format
        if quality is not None:
            output["quality"] = quality
        if server_path is not None:
            output["path"] = os.fspath(server_path)
        result = Result(self.client.request("session.export", {"session": self.id, "output": output}))
        self.summary = {k: v for k, v in result.items() if k != "image"}
        if path is not None:
            data = result.image_bytes or b""
            temporary = f"{os.fspath(path)}.tmp{os.getpid()}"
            with open(temporary, "wb") as f:
                f.write(data)
            os.replace(temporary, path)
        return result.image

    def array(self) -> "numpy.ndarray[Any, Any]":
        """`session.export` as a numpy uint8 array (H×W×3 or H×W×4)."""
        import numpy as np

        return np.asarray(self.export())

    def close(self) -> None:
        """`session.close`."""
        self.client.request("session.close", {"session": self.id})
        self.closed = True


_EXTENSIONS = {".png": "png", ".webp": "webp", ".jpg": "jpeg", ".jpeg": "jpeg", ".jpe": "jpeg", ".jfif": "jpeg"}


def format_of_path(path: PathLike) -> Optional[str]:
    """The output format a file name's extension names ("png", "webp", "jpeg"), or None."""
    return _EXTENSIONS.get(os.path.splitext(os.fspath(path))[1].lower())


def _canonical(format: str) -> str:
    return "jpeg" if format.lower() in ("jpg", "jpeg") else format.lower()


def _token_source(value: Any) -> Optional[TokenSource]:
    if not isinstance(value, dict):
        return None
    return TokenSource(session=str(value["session"]), revision=int(value["revision"]), known=int(value["known"]))


def _fork_source(value: Any) -> Optional[ForkSource]:
    if not isinstance(value, dict):
        return None
    return ForkSource(session=str(value["session"]), revision=int(value["revision"]))


def _edit_params(options: Mapping[str, Any], class_: Any) -> Dict[str, Any]:
    """The request's params from keyword options: snake_case names mapped to the protocol's
    camelCase (`mask_policy=` → `maskPolicy`); None values dropped."""
    params: Dict[str, Any] = {}
    for key, value in options.items():
        if value is None:
            continue
        name = wire_name(key)
        if name in params:
            raise TypeError(f"option {name!r} given twice (as {key!r} too)")
        params[name] = value
    if class_ is not None:
        params["class"] = class_
    return params


def _margins(left: int, top: int, right: int, bottom: int) -> Dict[str, int]:
    return {k: v for k, v in (("left", left), ("top", top), ("right", right), ("bottom", bottom)) if v}


def _region(rect: Any, mask: Any) -> Dict[str, Any]:
    if rect is not None:
        return {"rect": rect_spec(rect)}
    if mask is not None:
        return {"mask": mask_spec(mask)}
    return {}


__all__ = ["Client", "Session", "RequestHandle", "Result", "Progress", "ProgressBar", "PROTOCOL_VERSION",
           "Cancelled", "wire_name", "TokenGridInfo", "TokenSource", "ForkSource"]
