#!/usr/bin/env python3
"""Writes a batch manifest (JSONL, one edit per line) over the sample images: a mix of inpaint,
classEdit, generate and outpaint items with ids item-00000..., for the batch tests, the launchers
and the throughput benchmark (Docs/Benchmarks.md).

    Examples/batch/make_manifest.py --count 1000 --out /tmp/manifest.jsonl [--steps 12] [--seeds]

Image paths are relative to Examples/images (pass `--root Examples/images` to maskgit-cli batch,
or write the manifest there). Without --seeds the items carry no seed and maskgit-cli derives one
from each item (recorded in the results)."""
import argparse
import json
import sys

IMAGES = ["cat.png", "rocket.png"]  # 64x64, the default model's native size
CLASSES = 9


def item(i, steps, seeds):
    kind = ("inpaint", "classEdit", "generate", "inpaint", "outpaint")[i % 5]
    line = {"id": f"item-{i:05d}", "op": kind}
    image = IMAGES[(i // 5) % len(IMAGES)]
    x, y = 8 * (i % 4), 8 * ((i // 4) % 4)
    if kind == "inpaint":
        line.update(image=image, mask=[[x, y, 24, 24]], **{"class": i % CLASSES})
    elif kind == "classEdit":
        line.update(image=image, rect={"x": x, "y": y, "width": 32, "height": 32}, **{"class": (i + 1) % CLASSES})
    elif kind == "generate":
        line.update(**{"class": i % CLASSES})
    else:
        line.update(image=image, right=16, **{"class": i % CLASSES})
    if steps is not None:
        line["steps"] = steps + 2 if kind == "classEdit" else steps  # classEdit starts at step 2
    if seeds:
        line["seed"] = i
    return line


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--out", default="-")
    parser.add_argument("--steps", type=int, default=None, help="decoding steps (default: the protocol's, 12)")
    parser.add_argument("--seeds", action="store_true", help="give every item an explicit seed")
    args = parser.parse_args(argv)
    lines = "".join(json.dumps(item(i, args.steps, args.seeds)) + "\n" for i in range(args.count))
    if args.out == "-":
        sys.stdout.write(lines)
    else:
        with open(args.out, "w") as f:
            f.write(lines)


if __name__ == "__main__":
    main()
