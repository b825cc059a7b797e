"""The Python client against the real server on the tiny random model."""
import base64
import threading

import pytest
from PIL import Image

from conftest import IMAGES, TINY_MODEL
from maskgit_rpc import (
    PROTOCOL_VERSION, Cancelled, Client, ImageDecodeFailed, InvalidParams, MaskSizeMismatch, MethodNotFound, NoRevision,
    PathNotAllowed, Progress, RPCError, Session, SessionNotFound, ShuttingDown, TransportError, error_from_response,
)

TINY = IMAGES / "tiny16.png"
MASK = IMAGES / "tiny16-mask.png"


def test_vocabularies_come_from_the_server(client):
    v = client.vocabularies()
    assert v["samplers"] == ["confidence", "halton"]
    for name in ["schedules", "maskPolicies", "composites", "rng", "guidanceRamps", "imageFormats", "imageTransports"]:
        assert v[name], name
    assert "jpeg" in v["imageFormats"] and "none" in v["imageTransports"]
    # every advertised sampler is accepted by the server
    for sampler in v["samplers"]:
        r = client.request("generate", {"class": 0, "seed": 1, "steps": 1, "sampler": sampler, "output": {"transport": "none"}})
        assert r["width"] > 0


def test_initialize_and_models(client):
    info = client.initialize()
    assert info["protocolVersion"] == PROTOCOL_VERSION
    assert "session.open" in info["capabilities"]["methods"]
    assert client.server_info == info
    models = client.models()
    assert models[0]["name"] == "tiny" and models[0]["classes"][1] == "goldfish"
    assert "classes" not in client.models(classes=False)[0]
    assert client.ping() == {}
    assert client.discover()["info"]["version"] == PROTOCOL_VERSION


def test_session_inpaint_with_progress_then_cancel_undo_export(client, tmp_path):
    session = client.open_session(Image.open(TINY))
    assert isinstance(session, Session) and session.revision == 0 and session.size == (16, 16)

    # Inpaint with progress: callbacks strictly increasing, all delivered before the result.
    events: list[Progress] = []
    result = session.inpaint([(8, 0, 8, 8)], class_="goldfish", seed=3, progress=events.append)
    delivered = len(events)
    client.ping()  # a round trip: anything the server wrote before its answer has been read
    assert len(events) == delivered, "progress after the result"
    values = [e.progress for e in events]
    assert values and all(b > a for a, b in zip(values, values[1:]))
    assert events[-1].progress == events[-1].total == 12
    assert result["seed"] == 3 and result["windows"][0]["tokenMask"]["rows"] == ["0011", "0011", "0000", "0000"]
    assert result.image.size == (16, 16)
    assert session.revision == 1 and session.summary["canUndo"]

    # A long edit (500 windows), cancelled once it has started: -32800, and the session is intact.
    started = threading.Event()
    handle = session.outpaint(right=4000, class_=1, seed=5, output={"transport": "none"},
                              progress=lambda e: started.set(), wait=False)
    assert started.wait(30), "the long edit never reported progress"
    assert session.info()["revision"] == 1  # answered while the edit runs
    handle.cancel()
    with pytest.raises(Cancelled) as caught:
        handle.result(timeout=30)
    assert caught.value.code == -32800 and caught.value.reason == "cancelled"
    assert caught.value.data["stage"] == "decoding"
    info = session.info()
    assert (info["revision"], info["width"], info["height"]) == (1, 16, 16)

    # Still usable: another edit, then undo twice, redo, export.
    session.class_edit("hen", rect=(0, 0, 8, 8), seed=6, output={"transport": "none"})
    assert session.revision == 2
    assert session.undo()["revision"] == 1
    assert session.undo(with_image=True).image.size == (16, 16)
    with pytest.raises(NoRevision):
        session.undo()
    assert session.redo()["revision"] == 1
    exported = session.export(tmp_path / "out.png")
    assert exported.size == (16, 16)
    assert Image.open(tmp_path / "out.png").size == (16, 16)
    server_written = session.export(server_path=tmp_path / "server.webp", format="webp")
    assert server_written.size == (16, 16) and (tmp_path / "server.webp").read_bytes()[:4] == b"RIFF"
    session.close()
    with pytest.raises(SessionNotFound):
        session.info()


def test_queued_request_cancelled_before_it_runs(client):
    first = client.outpaint(TINY, right=2000, class_=1, seed=1, output={"transport": "none"}, wait=False)
    second = client.outpaint(TINY, right=2000, class_=1, seed=2, output={"transport": "none"}, wait=False)
    second.cancel()
    with pytest.raises(Cancelled) as caught:
        second.result(timeout=30)
    assert caught.value.data == {"reason": "cancelled", "stage": "queued", "completedSteps": 0}
    first.cancel()  # usually running; on a busy machine maybe not started yet; on a fast one done
    try:
        assert first.result(timeout=30)["width"] == 2016
    except Cancelled as error:
        assert error.data["stage"] in ("queued", "decoding")


def test_one_shot_edits_and_inputs(client):
    png = TINY.read_bytes()
    a = client.inpaint(png, MASK, class_=1, seed=1)                     # bytes and a path
    b = client.inpaint(str(TINY), Image.open(MASK), class_=1, seed=1)   # a path and a PIL image
    assert a.image_bytes == b.image_bytes  # same seed, same image
    c = client.inpaint(TINY, {"rects": [{"x": 8, "y": 0, "width": 8, "height": 8}]}, class_=1, seed=1)
    assert c.image.size == (16, 16)
    wide = client.outpaint(TINY, left=4, right=4, class_=2, seed=4)
    assert wide.image.size == (24, 16) and wide["width"] == 24
    edited = client.class_edit(TINY, 0, mask=[(8, 0, 8, 8)], seed=6, maskPolicy="anyOverlap")
    assert edited["windows"][0]["tokenMask"]["regenerated"] == 4
    generated = client.generate(3, seed=8, steps=8, open_session=True)
    assert isinstance(generated["session"], Session) and generated.image.size == (16, 16)
    assert client.list_sessions()["sessions"][0]["id"] == generated["session"].id


def test_errors(client, tmp_path):
    with pytest.raises(InvalidParams) as caught:
        client.generate(1, steps=0)
    assert caught.value.field == "steps" and caught.value.reason == "invalid_params"
    with pytest.raises(InvalidParams) as caught:
        client.generate(1, clas=2)
    assert caught.value.field == "clas"
    with pytest.raises(SessionNotFound) as caught:
        client.request("session.info", {"session": "s999"})
    assert caught.value.code == -32001 and caught.value.reason == "session_not_found"
    corrupt = TINY.read_bytes()[:40]  # a PNG cut short
    with pytest.raises(ImageDecodeFailed) as caught:
        client.open_session(corrupt)
    assert caught.value.reason == "image_decode_failed" and caught.value.field == "image"
    with pytest.raises(MaskSizeMismatch) as caught:
        client.inpaint(TINY, IMAGES / "cat.png", class_=1)
    assert caught.value.code == -32004 and caught.value.data["got"] == "64x64"
    with pytest.raises(PathNotAllowed):
        client.generate(1, output={"path": "/etc/maskgit.png"})
    with pytest.raises(MethodNotFound):
        client.request("edit.inpaint", {})
    assert isinstance(error_from_response({"code": -32001, "message": "x", "data": {"reason": "session_evicted"}}), SessionNotFound)


def test_progress_is_optional_and_requests_interleave(client):
    handles = [client.submit("generate", {"class": i, "seed": i, "output": {"transport": "none"}}) for i in range(5)]
    assert [h.result(timeout=30)["seed"] for h in handles] == list(range(5))


def test_shutdown_and_exit(binary):
    client = Client(binary, model_dir=TINY_MODEL, args=["--quiet"])
    assert client.request("shutdown") is None
    with pytest.raises(ShuttingDown) as caught:
        client.ping()
    assert caught.value.code == -32600 and caught.value.reason == "shutting_down"
    assert client.close() == 0
    with pytest.raises(TransportError):
        client.ping()


def test_context_manager_exits_cleanly_and_server_death_fails_pending(binary):
    with Client(binary, model_dir=TINY_MODEL, args=["--quiet"]) as client:
        assert client.ping() == {}
    assert client.returncode == 0
    client = Client(binary, model_dir=TINY_MODEL, args=["--quiet"])
    handle = client.submit("outpaint", {"image": base64.b64encode(TINY.read_bytes()).decode(), "right": 4000, "class": 1,
                                        "output": {"transport": "none"}})
    client._process.kill()
    with pytest.raises(TransportError):
        handle.result(timeout=30)
    client.close()


def test_progress_callback_errors_reach_the_caller(client):
    def broken(event):
        raise ValueError("callback bug")

    with pytest.raises(ValueError, match="callback bug"):
        client.generate(1, seed=1, output={"transport": "none"}, progress=broken)
    assert client.ping() == {}  # the reader thread survived


def test_missing_binary_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError):
        Client(tmp_path / "nope", model_dir=TINY_MODEL)


def test_bad_model_reports_stderr(binary, tmp_path):
    with pytest.raises(TransportError) as caught:
        Client(binary, model_dir=tmp_path)
    assert "cannot load a model" in str(caught.value)
