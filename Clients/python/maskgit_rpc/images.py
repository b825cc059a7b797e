"""Images into and out of requests: PIL images, bytes and files in; PIL images out."""
from __future__ import annotations

import base64
import io
import os
from typing import Any, Union

ImageLike = Union["PIL.Image.Image", bytes, bytearray, str, os.PathLike, dict]


def image_ref(image: ImageLike) -> Any:
    """The protocol's ImageRef for `image`.

    - a PIL image: encoded as PNG, sent as base64;
    - bytes: a PNG, WebP or JPEG file's bytes, sent as base64 (the server sniffs the format);
    - a `str` or path-like: a local file, read here and sent as base64 (so it works whatever the
      server's `--allow-root`); use `server_path()` to make the server read the file itself;
    - a dict: passed through (`{"data": ...}` or `{"path": ...}`).
    """
    if isinstance(image, dict):
        return image
    if isinstance(image, (bytes, bytearray)):
        return base64.b64encode(bytes(image)).decode("ascii")
    if isinstance(image, (str, os.PathLike)):
        with open(image, "rb") as f:
            return base64.b64encode(f.read()).decode("ascii")
    if hasattr(image, "save"):  # PIL.Image.Image, without importing PIL unless used
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return base64.b64encode(buffer.getvalue()).decode("ascii")
    raise TypeError(f"cannot send {type(image).__name__} as an image (PIL image, bytes, path or dict)")


def server_path(path: str | os.PathLike) -> dict:
    """An ImageRef the server reads itself: the path must lie under one of its `--allow-root`s."""
    return {"path": os.fspath(path)}


def mask_spec(mask: Any) -> dict:
    """The protocol's Mask for `mask`.

    - a dict: passed through (`{"image": ..., "rects": [...], "channel", "threshold", "invert"}`);
    - a list of rectangles, each `(x, y, width, height)` or a dict: `{"rects": [...]}`;
    - anything `image_ref` takes: a mask image, white (luminance >= 128) = regenerate.
    """
    if isinstance(mask, dict):
        return mask
    if isinstance(mask, (list, tuple)) and (not mask or isinstance(mask[0], (list, tuple, dict))):
        rects = []
        for r in mask:
            if isinstance(r, dict):
                rects.append(r)
            else:
                x, y, w, h = r
                rects.append({"x": int(x), "y": int(y), "width": int(w), "height": int(h)})
        return {"rects": rects}
    return {"image": image_ref(mask)}


def rect_spec(rect: Any) -> dict:
    """A Rect from `(x, y, width, height)` or a dict."""
    if isinstance(rect, dict):
        return rect
    x, y, w, h = rect
    return {"x": int(x), "y": int(y), "width": int(w), "height": int(h)}


def image_bytes(result_image: dict) -> bytes | None:
    """The encoded bytes of an ImageResult (`data` inline, or the file at `path`); None for
    `transport: none`."""
    if not result_image:
        return None
    if "data" in result_image:
        return base64.b64decode(result_image["data"])
    if "path" in result_image:
        with open(result_image["path"], "rb") as f:
            return f.read()
    return None


def decode_image(result_image: dict):
    """The PIL image of an ImageResult, or None when the result carries no pixels."""
    data = image_bytes(result_image)
    if data is None:
        return None
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    return image
