"""Writes the 16x16 example images used by the protocol examples and the tests.

    .venv/bin/python Examples/images/make_tiny.py

tiny16.png is a 16x16 RGB drawing (sky, sun, ground) and tiny16-mask.png a 16x16 greyscale mask
(white = edit) selecting its top-right 8x8 quarter. 16 px is the native size of the tiny test model
(Tests/EngineTests/Fixtures/tiny), and the images are small enough that their base64 fits in the
examples of Protocol/openrpc.json. Both are drawn here and are in the public domain.
"""
import pathlib

from PIL import Image, ImageDraw

here = pathlib.Path(__file__).parent

image = Image.new("RGB", (16, 16), (90, 160, 230))
draw = ImageDraw.Draw(image)
draw.rectangle([0, 11, 15, 15], fill=(70, 150, 60))
draw.ellipse([2, 2, 7, 7], fill=(250, 210, 40))
image.save(here / "tiny16.png", optimize=True)

mask = Image.new("L", (16, 16), 0)
ImageDraw.Draw(mask).rectangle([8, 0, 15, 7], fill=255)
mask.save(here / "tiny16-mask.png", optimize=True)
