"""JPEG photos through the Python client: by local file, by server path, base64 bytes, and out
as JPEG (by format or by the path's extension), against the real server on the tiny model."""
import io

import pytest
from PIL import Image

from conftest import IMAGES
from maskgit_rpc import InvalidParams


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.open(IMAGES / "tiny16.png").convert("RGB").resize((40, 24)).save(path, quality=90)
    return path


def test_jpeg_in_by_file_bytes_and_server_path(client, photo, tmp_path):
    info = client.initialize()
    assert "jpeg" in info["capabilities"]["imageFormats"]["input"]
    assert "jpeg" in info["capabilities"]["imageFormats"]["output"]
    for source in (photo, photo.read_bytes(), {"path": str(photo)}):
        result = client.inpaint(source, [(8, 8, 8, 8)], class_=1, seed=2, output={"format": "jpeg"})
        assert result["image"]["mediaType"] == "image/jpeg"
        assert result.image.format == "JPEG" and result.image.size == (40, 24)


def test_session_export_follows_the_extension(client, photo, tmp_path):
    session = client.open_session(photo)
    assert session.size == (40, 24)
    session.inpaint([(0, 0, 8, 8)], class_=1, seed=1)
    local = tmp_path / "local.jpg"
    image = session.export(local)
    assert image.format == "JPEG" and Image.open(local).format == "JPEG"
    on_server = tmp_path / "server.jpeg"
    assert session.export(server_path=on_server).format == "JPEG"
    assert Image.open(on_server).format == "JPEG"
    assert session.export(format="webp").format == "WEBP"
    with pytest.raises(ValueError):
        session.export(tmp_path / "x.png", format="jpeg")
    with pytest.raises(InvalidParams) as error:
        session.export(server_path=tmp_path / "y.png", format="jpeg")
    assert error.value.data["field"] == "output.format"


def test_transparent_image_cannot_become_jpeg(client):
    rgba = Image.new("RGBA", (16, 16), (10, 20, 30, 128))
    with pytest.raises(InvalidParams) as error:
        client.inpaint(rgba, [(0, 0, 8, 8)], class_=1, seed=1, output={"format": "jpeg"})
    assert "alpha" in str(error.value)
    buffer = io.BytesIO()
    rgba.save(buffer, format="PNG")
    png = client.inpaint(buffer.getvalue(), [(0, 0, 8, 8)], class_=1, seed=1)
    assert png.image.mode == "RGBA"
