"""Writes the JPEG fixtures in Fixtures/jpeg/ and Pillow's decoding of each as a PNG beside it.

The JPEG files are written and decoded by Pillow (its own bundled libjpeg-turbo build, not the
Debian library the Swift decoder links), so JPEGFixtureTests compares the Swift decoder with an
independent decoder. Pillow's references: RGB as decoded; gray converted with
Image.convert("RGB"); CMYK (Pillow writes it inverted with an Adobe marker, as Photoshop does)
converted with Image.convert("RGB"), i.e. R = (255 - C) * (255 - K) / 255; EXIF orientations
applied with ImageOps.exif_transpose.

Regenerate from the repository root:

    /work/main/.venv/bin/python Tests/ImageCodecsTests/Fixtures/make_jpeg_fixtures.py
"""
import os

import numpy as np
from PIL import Image, ImageOps

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jpeg")


def photo_like(width, height, seed):
    """Smooth gradients, a disc and mild noise: what a camera gives, at a tiny size."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 255 * x / max(1, width - 1)
    g = 255 * y / max(1, height - 1)
    b = 128 + 100 * np.sin(x / 3.0) * np.cos(y / 4.0)
    disc = (x - width * 0.6) ** 2 + (y - height * 0.4) ** 2 < (min(width, height) * 0.3) ** 2
    r = np.where(disc, 230, r)
    g = np.where(disc, 40, g)
    rgb = np.stack([r, g, b], axis=-1) + rng.normal(0, 4, (height, width, 3))
    return Image.fromarray(np.clip(rgb, 0, 255).round().astype(np.uint8), "RGB")


def save_pair(name, image, **options):
    path = os.path.join(HERE, name + ".jpg")
    image.save(path, format="JPEG", **options)
    decoded = Image.open(path)
    decoded.load()
    decoded = ImageOps.exif_transpose(decoded).convert("RGB")
    decoded.save(os.path.join(HERE, name + ".png"))


def main():
    os.makedirs(HERE, exist_ok=True)
    base = photo_like(37, 23, seed=1)  # odd sizes: partial MCUs on both axes
    save_pair("baseline-420", base, quality=85)
    save_pair("baseline-444", base, quality=95, subsampling=0)
    save_pair("progressive", base, quality=85, progressive=True)
    save_pair("restart-markers", base, quality=85, restart_marker_rows=1)
    save_pair("gray", base.convert("L"), quality=90)
    save_pair("cmyk-adobe", base.convert("CMYK"), quality=95)
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        save_pair(f"orientation-{orientation}", photo_like(19, 11, seed=2), quality=90,
                  exif=exif.tobytes())


if __name__ == "__main__":
    main()
