"""Writes the test inputs (deterministic) into DIR/in and the cancel test's images into WORK."""
import os
import sys

import numpy as np
from PIL import Image


def picture(h, w, seed):
    """A smooth picture with a few shapes: gradients, a disc and a bar (nicer than noise for the
    before/after example, and any change shows)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 128 + 100 * np.sin(x / w * 3.1 + seed)
    g = 60 + 150 * (y / h)
    b = 200 - 120 * (x / w)
    disc = (x - w * 0.62) ** 2 + (y - h * 0.45) ** 2 < (min(h, w) * 0.22) ** 2
    r[disc], g[disc], b[disc] = 240, 200, 40
    bar = (np.abs(y - h * 0.75) < h * 0.06) & (x > w * 0.1) & (x < w * 0.5)
    r[bar], g[bar], b[bar] = 30, 40, 160
    return np.clip(np.stack([r, g, b], -1), 0, 255).astype(np.uint8)


def main(out_dir, work_dir):
    inp = os.path.join(out_dir, "in")
    os.makedirs(inp, exist_ok=True)
    Image.fromarray(picture(48, 64, 0)).save(os.path.join(inp, "rgb.png"))
    rgba = np.dstack([picture(30, 40, 1), np.tile(np.linspace(60, 255, 40, dtype=np.uint8), (30, 1))])
    Image.fromarray(rgba, "RGBA").save(os.path.join(inp, "rgba.png"))
    Image.fromarray(picture(150, 200, 2)).save(os.path.join(inp, "large.png"))
    Image.fromarray(picture(32, 32, 3)[..., 1]).convert("L").save(os.path.join(inp, "gray.png"))
    Image.fromarray(picture(96, 128, 4)).save(os.path.join(inp, "example.png"))
    Image.fromarray(picture(256, 256, 6)).save(os.path.join(inp, "cancel.png"))
    # A photo as cameras write it: baseline JPEG, 4:2:0; GIMP decodes it, the plug-in edits it.
    Image.fromarray(picture(48, 64, 7)).save(os.path.join(inp, "photo.jpg"), quality=90)
    # The cancel test sends a long outpaint straight to the extension's temporary procedures.
    os.makedirs(work_dir, mode=0o700, exist_ok=True)
    Image.fromarray(picture(256, 256, 5)).save(os.path.join(work_dir, "cancel-source.png"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
