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
import subprocess
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .binary import find_binary
from .errors import Cancelled, RPCError, TransportError, error_from_response
from .images import ImageLike, decode_image, image_bytes, image_ref, mask_spec, rect_spec

#: The protocol version this client was written for (Protocol/CHANGELOG.md).
PROTOCOL_VERSION = "2026-11-29"
__version__ = "0.1.0"


@dataclass(frozen=True)
class Progress:
    """One `notifications/progress`: `progress` of `total` (decode steps), with a message."""

    progress: float
    total: float | None
    message: str | None


ProgressCallback = Callable[[Progress], None]


class Result(dict):
    """A result object (a dict) with its image, if any, as a PIL image."""

    @property
    def image(self):
        """The result image as a PIL image, or None (`output.transport` "none")."""
        return decode_image(self.get("image"))

    @property
    def image_bytes(self) -> bytes | None:
        """The encoded result image (PNG, WebP or JPEG bytes), or None."""
        return image_bytes(self.get("image"))


class RequestHandle:
    """A request in flight: `result()` waits for it, `cancel()` asks the server to stop it."""

    def __init__(self, client: "Client", request_id: int, method: str, progress: ProgressCallback | None,
                 transform: Callable[[Any], Any] | None = None):
        self.id = request_id
        self.method = method
        self._client = client
        self._progress = progress
        self._transform = transform
        self._done = threading.Event()
        self._response: dict | None = None
        self._failure: BaseException | None = None
        self._callback_error: BaseException | None = None
        self._token: Any = None

    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        """Sends `$/cancelRequest {id}`. The request still gets an answer: -32800 (raised as
        `Cancelled` by `result()`) if the cancel arrived in time, else its normal result."""
        if not self.done():
            self._client.notify("$/cancelRequest", {"id": self.id})

    def result(self, timeout: float | None = None) -> Any:
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
    def _on_progress(self, params: dict) -> None:
        if self._progress is None or self._callback_error is not None:
            return
        try:
            self._progress(Progress(params.get("progress"), params.get("total"), params.get("message")))
        except BaseException as error:  # noqa: BLE001 - the reader thread must survive; result() re-raises it
            self._callback_error = error

    def _complete(self, response: dict | None = None, failure: BaseException | None = None) -> None:
        self._response = response
        self._failure = failure
        self._done.set()


class Client:
    """A maskgit-rpc server process and a connection to it.

    `binary`: the executable (default: `$MASKGIT_RPC_BIN`, PATH, the checkout's release build);
    `model_dir`: a model directory (`--model`; None = the server's default model);
    `args`: more flags (`--allow-root DIR`, `--max-sessions N`, ...); `env`: the environment.
    Use as a context manager, or call `close()`: it sends `shutdown` and `exit` and waits.
    """

    def __init__(self, binary: str | os.PathLike | None = None, model_dir: str | os.PathLike | None = None,
                 args: Iterable[str] = (), env: dict | None = None, cwd: str | os.PathLike | None = None,
                 initialize: bool = True, client_info: dict | None = None):
        command = [find_binary(binary)]
        if model_dir is not None:
            command += ["--model", os.fspath(model_dir)]
        command += [str(a) for a in args]
        self.command = command
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, env=env, cwd=cwd)
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self._pending: dict[int, RequestHandle] = {}
        self._by_token: dict[Any, RequestHandle] = {}
        self._pending_lock = threading.Lock()
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=50)
        #: Answers with `"id": null` (parse errors, oversize lines): the server could not tell
        #: which request they belong to.
        self.unmatched_errors: list[dict] = []
        self._closed = False
        self._reader = threading.Thread(target=self._read_stdout, name="maskgit-rpc reader", daemon=True)
        self._reader.start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, name="maskgit-rpc stderr", daemon=True)
        self._stderr_reader.start()
        self.server_info: dict | None = None
        if initialize:
            self.initialize(client_info=client_info)

    # MARK: Context manager and shutdown

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def returncode(self) -> int | None:
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
                self._process.stdin.close()
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

    def submit(self, method: str, params: dict | None = None, progress: ProgressCallback | None = None,
               transform: Callable[[Any], Any] | None = None) -> RequestHandle:
        """Sends a request and returns at once with its handle. `progress` is called with each
        `Progress` (the request carries `_meta.progressToken`)."""
        request_id = next(self._ids)
        handle = RequestHandle(self, request_id, method, progress, transform)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        token = None
        if params is not None or progress is not None:
            params = dict(params or {})
            if progress is not None:
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

    def request(self, method: str, params: dict | None = None, progress: ProgressCallback | None = None,
                timeout: float | None = None, transform: Callable[[Any], Any] | None = None) -> Any:
        """Sends a request and waits for its result. On `timeout` the request is cancelled
        and TimeoutError raised."""
        handle = self.submit(method, params, progress, transform)
        try:
            return handle.result(timeout)
        except TimeoutError:
            handle.cancel()
            raise

    def notify(self, method: str, params: dict | None = None) -> None:
        """Sends a notification (no answer comes)."""
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self._send(message)

    def _send(self, message: dict) -> None:
        # Compact JSON never contains a raw newline (json escapes them inside strings).
        line = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"
        with self._write_lock:
            try:
                self._process.stdin.write(line)
                self._process.stdin.flush()
            except (BrokenPipeError, ValueError, OSError) as error:
                raise TransportError(f"the server is not running ({error}); stderr:\n{self.stderr_tail}") from error

    def _finish(self, request_id: Any, response: dict | None = None, failure: BaseException | None = None) -> None:
        with self._pending_lock:
            handle = self._pending.pop(request_id, None)
            if handle is not None and handle._token is not None:
                self._by_token.pop(handle._token, None)
        if handle is not None:
            handle._complete(response, failure)

    def _read_stdout(self) -> None:
        for raw in self._process.stdout:
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
        for raw in self._process.stderr:
            self._stderr_tail.append(raw.decode("utf-8", "replace").rstrip("\n"))

    # MARK: Convenience methods

    def initialize(self, protocol_version: str = PROTOCOL_VERSION, client_info: dict | None = None) -> dict:
        """`initialize`: the server's protocol version, capabilities, limits and models."""
        info = client_info or {"name": "maskgit-rpc-client (Python)", "version": __version__}
        self.server_info = self.request("initialize", {"protocolVersion": protocol_version, "clientInfo": info})
        return self.server_info

    def ping(self) -> dict:
        return self.request("ping")

    def discover(self) -> dict:
        """`rpc.discover`: the OpenRPC document."""
        return self.request("rpc.discover")

    def models(self, classes: bool = True) -> list[dict]:
        """`models.list`: every model with its capabilities (and class names)."""
        return self.request("models.list", {"classes": classes})["models"]

    def list_sessions(self) -> dict:
        return self.request("session.list")

    def generate(self, class_: int | str | None = None, *, open_session: bool = False,
                 progress: ProgressCallback | None = None, wait: bool = True, **options) -> Any:
        """`generate`: a new image of class `class_` (label or name). With `open_session`
        the result's `session` is a `Session`. `options`: seed, steps, model, output, ..."""
        params = _edit_params(options, class_)
        if open_session:
            params["openSession"] = True
        return self._edit("generate", params, progress, wait)

    def inpaint(self, image: ImageLike, mask: Any, class_: int | str | None = None, *,
                progress: ProgressCallback | None = None, wait: bool = True, **options) -> Any:
        """`inpaint` on an image: `mask` is a mask image, a list of `(x, y, w, h)` or a Mask dict."""
        params = _edit_params(options, class_)
        params.update(image=image_ref(image), mask=mask_spec(mask))
        return self._edit("inpaint", params, progress, wait)

    def outpaint(self, image: ImageLike, *, left: int = 0, top: int = 0, right: int = 0, bottom: int = 0,
                 class_: int | str | None = None, progress: ProgressCallback | None = None, wait: bool = True,
                 **options) -> Any:
        """`outpaint`: extends `image` by the given margins in pixels."""
        params = _edit_params(options, class_)
        params.update(image=image_ref(image), **_margins(left, top, right, bottom))
        return self._edit("outpaint", params, progress, wait)

    def class_edit(self, image: ImageLike, class_: int | str, *, rect: Any = None, mask: Any = None,
                   progress: ProgressCallback | None = None, wait: bool = True, **options) -> Any:
        """`classEdit`: regenerates `rect` (x, y, w, h) or `mask` as class `class_`."""
        params = _edit_params(options, class_)
        params["image"] = image_ref(image)
        params.update(_region(rect, mask))
        return self._edit("classEdit", params, progress, wait)

    def open_session(self, image: ImageLike, model: str | None = None,
                     progress: ProgressCallback | None = None) -> "Session":
        """`session.open`: tokenizes `image` once and returns a `Session` for iterative edits."""
        params: dict[str, Any] = {"image": image_ref(image)}
        if model is not None:
            params["model"] = model
        return Session(self, self.request("session.open", params, progress))

    def _edit(self, method: str, params: dict, progress: ProgressCallback | None, wait: bool,
              session: "Session | None" = None) -> Any:
        def transform(value: Any) -> Result:
            result = Result(value)
            if session is not None and "session" in result:
                session.summary = result["session"]
            elif "session" in result:
                result["session"] = Session(self, result["session"])
            return result

        handle = self.submit(method, params, progress, transform)
        return handle.result() if wait else handle


class Session:
    """An open session: the server keeps its image, token grid and undo history. `summary` is
    the last SessionSummary the server sent (id, revision, size, canUndo, canRedo, ...)."""

    def __init__(self, client: Client, summary: dict):
        self.client = client
        self.summary = dict(summary)
        self.id: str = summary["id"]

    def __repr__(self) -> str:
        return f"Session({self.id!r}, revision={self.summary.get('revision')})"

    @property
    def revision(self) -> int:
        return self.summary["revision"]

    @property
    def size(self) -> tuple[int, int]:
        return self.summary["width"], self.summary["height"]

    def _move(self, method: str, with_image: bool) -> Result:
        params: dict[str, Any] = {"session": self.id}
        if not with_image:
            params["output"] = {"transport": "none"}
        result = Result(self.client.request(method, params))
        self.summary = {k: v for k, v in result.items() if k not in ("image", "evictedSessions")}
        return result

    def info(self) -> dict:
        """`session.info` (answered at once, even while an edit runs)."""
        self.summary = self.client.request("session.info", {"session": self.id})
        return self.summary

    def inpaint(self, mask: Any, class_: int | str | None = None, *, progress: ProgressCallback | None = None,
                wait: bool = True, **options) -> Any:
        params = _edit_params(options, class_)
        params.update(session=self.id, mask=mask_spec(mask))
        return self.client._edit("inpaint", params, progress, wait, session=self)

    def outpaint(self, *, left: int = 0, top: int = 0, right: int = 0, bottom: int = 0,
                 class_: int | str | None = None, progress: ProgressCallback | None = None, wait: bool = True,
                 **options) -> Any:
        params = _edit_params(options, class_)
        params.update(session=self.id, **_margins(left, top, right, bottom))
        return self.client._edit("outpaint", params, progress, wait, session=self)

    def class_edit(self, class_: int | str, *, rect: Any = None, mask: Any = None,
                   progress: ProgressCallback | None = None, wait: bool = True, **options) -> Any:
        params = _edit_params(options, class_)
        params["session"] = self.id
        params.update(_region(rect, mask))
        return self.client._edit("classEdit", params, progress, wait, session=self)

    def undo(self, with_image: bool = False) -> Result:
        """`session.undo`: back to the previous revision (raises `NoRevision` at the first)."""
        return self._move("session.undo", with_image)

    def redo(self, with_image: bool = False) -> Result:
        return self._move("session.redo", with_image)

    def export(self, path: str | os.PathLike | None = None, *, format: str | None = None,
               server_path: str | os.PathLike | None = None, quality: float | None = None):
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
        output: dict[str, Any] = {}
        if format is not None:
            output["format"] = format
        if quality is not None:
            output["quality"] = quality
        if server_path is not None:
            output["path"] = os.fspath(server_path)
        result = Result(self.client.request("session.export", {"session": self.id, "output": output}))
        self.summary = {k: v for k, v in result.items() if k != "image"}
        if path is not None:
            data = result.image_bytes
            temporary = f"{os.fspath(path)}.tmp{os.getpid()}"
            with open(temporary, "wb") as f:
                f.write(data)
            os.replace(temporary, path)
        return result.image

    def close(self) -> None:
        """`session.close`."""
        self.client.request("session.close", {"session": self.id})


_EXTENSIONS = {".png": "png", ".webp": "webp", ".jpg": "jpeg", ".jpeg": "jpeg", ".jpe": "jpeg", ".jfif": "jpeg"}


def format_of_path(path: str | os.PathLike) -> str | None:
    """The output format a file name's extension names ("png", "webp", "jpeg"), or None."""
    return _EXTENSIONS.get(os.path.splitext(os.fspath(path))[1].lower())


def _canonical(format: str) -> str:
    return "jpeg" if format.lower() in ("jpg", "jpeg") else format.lower()


def _edit_params(options: dict, class_: Any) -> dict:
    params = {k: v for k, v in options.items() if v is not None}
    if class_ is not None:
        params["class"] = class_
    return params


def _margins(left: int, top: int, right: int, bottom: int) -> dict:
    return {k: v for k, v in (("left", left), ("top", top), ("right", right), ("bottom", bottom)) if v}


def _region(rect: Any, mask: Any) -> dict:
    if rect is not None:
        return {"rect": rect_spec(rect)}
    if mask is not None:
        return {"mask": mask_spec(mask)}
    return {}


__all__ = ["Client", "Session", "RequestHandle", "Result", "Progress", "PROTOCOL_VERSION", "Cancelled"]
