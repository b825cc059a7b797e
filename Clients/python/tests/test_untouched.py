"""The promise of Protocol/README.md ("Untouched pixels"), checked through the real server on
the tiny model: every pixel whose Chebyshev distance to the pixel mask exceeds the answer's
`band` keeps its bytes (RGB and alpha), on large unaligned RGBA images, unaligned masks of
several sizes, several feathers, and downscaled windows."""
import numpy as np
import pytest
from PIL import Image


def within(region: np.ndarray, reach: int) -> np.ndarray:
    """True where the Chebyshev distance to `region` is at most `reach` (integral image)."""
    h, w = region.shape
    integral = np.zeros((h + 1, w + 1), np.int64)
    integral[1:, 1:] = region.astype(np.int64).cumsum(0).cumsum(1)
    y0 = np.clip(np.arange(h) - reach, 0, h)[:, None]
    y1 = np.clip(np.arange(h) + reach + 1, 0, h)[:, None]
    x0 = np.clip(np.arange(w) - reach, 0, w)[None, :]
    x1 = np.clip(np.arange(w) + reach + 1, 0, w)[None, :]
    return (integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]) > 0


@pytest.fixture
def photo():
    rng = np.random.default_rng(4)
    rgb = rng.integers(0, 256, (141, 203, 3), dtype=np.uint8)
    alpha = np.tile(np.linspace(40, 255, 203).astype(np.uint8), (141, 1))
    return np.dstack([rgb, alpha])


@pytest.mark.parametrize("rect,feather", [
    ((37, 21, 1, 1), 2.5), ((101, 53, 7, 5), None), ((190, 130, 13, 11), 4.0),
    ((17, 9, 150, 110), 2.0),  # larger than the 16 px window: a downscaled window
])
def test_pixels_beyond_the_band_keep_their_bytes(client, photo, rect, feather):
    x, y, w, h = rect
    options = {"seed": 5, "composite": "mask"}
    if feather is not None:
        options["feather"] = feather
    result = client.inpaint(Image.fromarray(photo, "RGBA"), [rect], class_=1, **options)
    after = np.asarray(result.image)
    assert after.shape == photo.shape
    mask = np.zeros(photo.shape[:2], bool)
    mask[y:y + h, x:x + w] = True
    band = result["band"]
    assert band == int(np.ceil(3 * result["featherRadius"] - 1e-9))
    if w > 16:
        assert result["windows"][0]["scale"] < 1
    changed = np.any(after != photo, axis=-1)
    assert not np.any(changed & ~within(mask, band)), f"changed beyond band {band}"
    assert np.any(changed), "nothing changed"
    assert np.array_equal(after[..., 3], photo[..., 3]), "alpha changed"
