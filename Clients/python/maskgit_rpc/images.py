"""Images into and out of requests: PIL images, numpy arrays, bytes and files in; PIL images
(and numpy arrays) out."""
from __future__ import annotations

import base64
import io
import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple, Union

if TYPE_CHECKING:
    import numpy
    from PIL import Image as PILImage

#: What the client sends as an image: a PIL image, a numpy array (H×W×3 or H×W×4 RGB(A), H×W
#: grey; uint8, bool, or floats in 0...1), the bytes of a PNG/WebP/JPEG file, a local path, or an
#: ImageRef dict passed through.
ImageLike = Union["PILImage.Image", "numpy.ndarray[Any, Any]", bytes, bytearray, str, "os.PathLike[str]", Dict[str, Any]]
#: A rectangle: (x, y, width, height) or a Rect dict.
RectLike = Union[Tuple[int, int, int, int], Sequence[int], Dict[str, Any]]
#: A mask: a list of rectangles, a mask image (anything `ImageLike`; white = regenerate, a bool
#: array True = regenerate), or a Mask dict passed through.
MaskLike = Union[Sequence[RectLike], ImageLike]


def is_array(value: Any) -> bool:
    """Whether `value` is a numpy array (or anything with the array interface that is not a PIL image)."""
    return hasattr(value, "__array_interface__") and not hasattr(value, "save")


def array_to_image(array: Any) -> "PILImage.Image":
    """A PIL image of a numpy array: H×W (grey), H×W×3 (RGB) or H×W×4 (RGBA); uint8 as is, bool
    as 0/255, floats as 0...1 (clipped, rounded)."""
    import numpy as np
    from PIL import Image

    a = np.asarray(array)
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif a.dtype.kind == "f":
        a = np.clip(np.rint(a * 255.0), 0, 255).astype(np.uint8)
    elif a.dtype != np.uint8:
        raise TypeError(f"cannot send a {a.dtype} array as an image (uint8, bool or floats in 0...1)")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))):
        raise TypeError(f"cannot send an array of shape {a.shape} as an image (H×W, H×W×3 or H×W×4)")
    return Image.fromarray(np.ascontiguousarray(a))


def image_ref(image: ImageLike) -> Any:
    """The protocol's ImageRef for `image`.

    - a numpy array: made a PIL image (`array_to_image`), then as below;
    - a PIL image: encoded as PNG, sent as base64;
    - bytes: a PNG, WebP or JPEG file's bytes, sent as base64 (the server sniffs the format);
    - a `str` or path-like: a local file, read here and sent as base64 (so it works whatever the
      server's `--allow-root`); use `server_path()` to make the server read the file itself;
    - a dict: passed through (`{"data": ...}` or `{"path": ...}`).
    """
    if isinstance(image, dict):
        return image
    if is_array(image):
        image = array_to_image(image)
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


def server_path(path: Union[str, "os.PathLike[str]"]) -> Dict[str, Any]:
    """An ImageRef the server reads itself: the path must lie under one of its `--allow-root`s."""
    return {"path": os.fspath(path)}


def mask_spec(mask: Any) -> Dict[str, Any]:
    """The protocol's Mask for `mask`.

    - a dict: passed through (`{"image": ..., "rects": [...], "channel", "threshold", "invert"}`);
    - a list of rectangles, each `(x, y, width, height)` or a dict: `{"rects": [...]}`;
    - anything `image_ref` takes: a mask image, white (luminance >= 128) = regenerate; a numpy
      bool array: True = regenerate.
    """
    if isinstance(mask, dict):
        return mask
    if isinstance(mask, (list, tuple)) and (not mask or isinstance(mask[0], (list, tuple, dict))):
        rects: List[Dict[str, Any]] = []
        for r in mask:
            if isinstance(r, dict):
                rects.append(r)
            else:
                x, y, w, h = r
                rects.append({"x": int(x), "y": int(y), "width": int(w), "height": int(h)})
        return {"rects": rects}
    return {"image": image_ref(mask)}


def rect_spec(rect: Any) -> Dict[str, Any]:
    """A Rect from `(x, y, width, height)` or a dict."""
    if isinstance(rect, dict):
        return rect
    x, y, w, h = rect
    return {"x": int(x), "y": int(y), "width": int(w), "height": int(h)}


def image_bytes(result_image: Optional[Dict[str, Any]]) -> Optional[bytes]:
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


def decode_image(result_image: Optional[Dict[str, Any]]) -> Optional["PILImage.Image"]:
    """The PIL image of an ImageResult, or None when the result carries no pixels."""
    data = image_bytes(result_image)
    if data is None:
        return None
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    return image
