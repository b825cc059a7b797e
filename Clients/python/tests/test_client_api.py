"""The client's Python-side conveniences, against the real server on the tiny model:
snake_case options, numpy arrays and PIL images in and out, Session as a context manager,
lazy and cached decoding, and progress into a tqdm-like bar."""
import numpy as np
import pytest
from PIL import Image

from conftest import IMAGES
from maskgit_rpc import InvalidParams, Result, SessionNotFound, wire_name

TINY = IMAGES / "tiny16.png"


def test_wire_names():
    assert wire_name("mask_policy") == "maskPolicy"
    assert wire_name("start_step") == "startStep"
    assert wire_name("guidance_ramp") == "guidanceRamp"
    assert wire_name("maskPolicy") == "maskPolicy"  # camelCase is kept as it is
    assert wire_name("seed") == "seed" and wire_name("_meta") == "_meta"


def test_snake_case_options_reach_the_server(client):
    with client.open_session(TINY) as session:
        snake = session.class_edit(1, rect=(0, 0, 8, 8), seed=5, start_step=4, mask_policy="anyOverlap")
        session.undo()
        camel = session.class_edit(1, rect=(0, 0, 8, 8), seed=5, startStep=4, maskPolicy="anyOverlap")
        assert snake.image_bytes == camel.image_bytes
        session.undo()
        default = session.class_edit(1, rect=(0, 0, 8, 8), seed=5)
        assert default.image_bytes != snake.image_bytes  # startStep 2 by default: the option was used
        # A wrong value under the snake name is blamed on the wire name.
        with pytest.raises(InvalidParams) as caught:
            session.inpaint([(0, 0, 8, 8)], class_=1, mask_policy="nonsense")
        assert caught.value.field == "maskPolicy"
        with pytest.raises(TypeError):
            session.inpaint([(0, 0, 8, 8)], class_=1, mask_policy="anyOverlap", maskPolicy="coverage")


def test_numpy_arrays_in_and_out(client):
    pixels = np.asarray(Image.open(TINY).convert("RGB"))
    from_array = client.inpaint(pixels, [(8, 0, 8, 8)], class_=1, seed=2)
    from_file = client.inpaint(TINY, [(8, 0, 8, 8)], class_=1, seed=2)
    assert from_array.image_bytes == from_file.image_bytes
    out = from_array.array()
    assert out.shape == (16, 16, 3) and out.dtype == np.uint8
    # A bool mask array (True = regenerate) does what the rectangle does; floats in 0...1 are images too.
    mask = np.zeros((16, 16), bool)
    mask[0:8, 8:16] = True
    assert client.inpaint(pixels / 255.0, mask, class_=1, seed=2).image_bytes == from_file.image_bytes
    with client.open_session(pixels) as session:
        exported = session.array()
        assert exported.shape == (16, 16, 3) and (exported == np.asarray(session.export())).all()
    with pytest.raises(TypeError):
        client.inpaint(np.zeros((4, 4, 2), np.uint8), [(0, 0, 2, 2)], class_=1)


def test_session_context_manager_closes_on_the_server(client):
    with client.open_session(Image.open(TINY)) as session:
        session.inpaint([(0, 0, 8, 8)], class_=1, seed=1)
        assert session.id in [s["id"] for s in client.list_sessions()["sessions"]]
    assert session.closed
    assert session.id not in [s["id"] for s in client.list_sessions()["sessions"]]
    with pytest.raises(SessionNotFound):
        session.info()
    # An error inside the block is not hidden by the close.
    with pytest.raises(ZeroDivisionError):
        with client.open_session(TINY):
            1 / 0


def test_the_image_is_decoded_lazily_once(client):
    result = client.generate(1, seed=4)
    assert isinstance(result, Result) and result._image is Result._NOT_READ
    first = result.image
    assert first is result.image  # cached, not decoded again
    assert result.image_bytes is result.image_bytes
    assert first.size == result.size == (16, 16) and result.seed == 4
    assert client.generate(1, seed=4, output={"transport": "none"}).image is None


class FakeTqdm:
    """The part of tqdm.tqdm the client uses: total, n, update(), refresh(), set_postfix_str()."""

    def __init__(self):
        self.total, self.n, self.updates, self.postfix = None, 0, [], None

    def update(self, n=1):
        self.n += n
        self.updates.append(n)

    def refresh(self):
        pass

    def set_postfix_str(self, s, refresh=True):
        self.postfix = s


def test_progress_into_a_tqdm_bar(client):
    bar = FakeTqdm()
    client.generate(1, seed=6, steps=8, progress=bar)
    assert bar.total == 8 and bar.n == 8 and all(u > 0 for u in bar.updates)
    assert bar.postfix == "window 1/1, step 8/8"
    with pytest.raises(TypeError):
        client.generate(1, progress=object())


def test_a_real_tqdm_bar(client):
    import io

    import tqdm  # pinned in Training/requirements.txt

    text = io.StringIO()
    with tqdm.tqdm(file=text, mininterval=0) as bar:
        client.generate(1, seed=6, steps=4, progress=bar)
        assert bar.total == 4 and bar.n == 4
    assert "4/4" in text.getvalue()
