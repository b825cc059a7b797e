"""Wall-clock timings of photo-sized edits through the real server (issue 11), medians of N rounds.

    .venv/bin/python Examples/python/photo_timings.py [--binary B] [--model DIR] [--rounds N]

On a 1920x1080 photo-like JPEG (smooth gradients, shapes, mild noise; written to a temporary
folder): session.open, the first inpaint of a 200x150 region, a second inpaint elsewhere, and
the same inpaint one-shot; then a 640x360 outpaint by 160 px left and right. Edits use
transport "none" (no PNG encode of the result), seed 1, the server's default decoding.
Besides wall time it prints the server process's CPU time for each call (user + system, from
/proc), which a busy shared machine does not inflate; the server runs with
MASKGIT_BLAS_THREADS=1 (--threads) so that CPU time is work, not BLAS threads spinning.
"""
import json
import os
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Clients" / "python"))
from maskgit_rpc import Client  # noqa: E402


def photo(width, height, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    sky = np.stack([90 + 60 * y / height, 140 + 50 * y / height, 230 - 40 * y / height], -1)
    ground = np.stack([70 + 40 * np.sin(x / 97.0), 120 + 30 * np.cos(y / 53.0), 60 + 0 * x], -1)
    image = np.where((y > height * 0.55)[..., None], ground, sky)
    for cx, cy, r, colour in [(0.3, 0.4, 0.12, (240, 200, 60)), (0.7, 0.65, 0.09, (200, 60, 50))]:
        disc = (x - cx * width) ** 2 + (y - cy * height) ** 2 < (r * height) ** 2
        image[disc] = colour
    image += rng.normal(0, 5, image.shape)
    return Image.fromarray(np.clip(image, 0, 255).astype(np.uint8), "RGB")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(client, call):
    pid = client._process.pid
    cpu, start = cpu_seconds(pid), time.perf_counter()
    result = call()
    return (time.perf_counter() - start, cpu_seconds(pid) - cpu), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=str(REPO / ".build" / "release" / "maskgit-rpc"))
    parser.add_argument("--model", default=None, help="model directory (default: the server's default model)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-outpaint", action="store_true")
    parser.add_argument("--skip-inpaint", action="store_true")
    parser.add_argument("--session256", action="store_true",
                        help="instead: a 10%% inpaint (81x81) on a 256 px session, one-shot, and a generate")
    parser.add_argument("--threads", default="1", help="MASKGIT_BLAS_THREADS for the server")
    parser.add_argument("--option", action="append", default=[], metavar="NAME=JSON",
                        help="an extra parameter of every inpaint (e.g. adaptiveSteps=true, tokenizerContext=2); repeatable")
    parser.add_argument("--class", dest="class_", default=None,
                        help="class for every edit (label or name; needed by models without a null class, e.g. official ones)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="maskgit-photo-"))
    big = folder / "photo-1080p.jpg"
    photo(1920, 1080).save(big, quality=90)
    small = folder / "photo-360p.jpg"
    photo(640, 360, seed=1).save(small, quality=90)
    none = {"transport": "none"}
    first, second = [(400, 300, 200, 150)], [(1400, 700, 200, 150)]
    rows = {"session.open": [], "first inpaint": [], "second inpaint": [], "one-shot inpaint": [], "outpaint": []}
    windows = {}
    env = {**os.environ, "MASKGIT_BLAS_THREADS": args.threads}
    cls = {} if args.class_ is None else {"class_": int(args.class_) if args.class_.isdigit() else args.class_}
    extra = {name: json.loads(value) for name, value in (o.split("=", 1) for o in args.option)}
    with Client(args.binary, model_dir=args.model, args=["--allow-root", str(folder), "--quiet"], env=env) as client:
        for _ in range(args.rounds):
            if args.session256:
                square = folder / "photo-256.png"
                photo(256, 256, seed=2).save(square)
                session = client.open_session({"path": str(square)})
                for name, rect in [("256 session inpaint", (40, 40, 81, 81)), ("256 session 2nd", (140, 150, 81, 81))]:
                    t, r = timed(client, lambda: session.inpaint([rect], seed=1, output=none, **cls, **extra))
                    rows.setdefault(name, []).append(t)
                    windows[name] = len(r["windows"])
                session.close()
                t, r = timed(client, lambda: client.inpaint({"path": str(square)}, [(40, 40, 81, 81)], seed=1, output=none, **cls, **extra))
                rows.setdefault("256 one-shot", []).append(t)
                t, r = timed(client, lambda: client.generate(seed=1, output=none, **cls))
                rows.setdefault("generate", []).append(t)
                continue
            if args.skip_inpaint:
                t, r = timed(client, lambda: client.outpaint({"path": str(small)}, left=160, right=160, seed=1, output=none, **cls))
                rows["outpaint"].append(t)
                windows["outpaint"] = len(r["windows"])
                continue
            t, session = timed(client, lambda: client.open_session({"path": str(big)}))
            rows["session.open"].append(t)
            t, r = timed(client, lambda: session.inpaint(first, seed=1, output=none, **cls, **extra))
            rows["first inpaint"].append(t)
            windows["first inpaint"] = len(r["windows"])
            t, r = timed(client, lambda: session.inpaint(second, seed=1, output=none, **cls, **extra))
            rows["second inpaint"].append(t)
            session.close()
            t, r = timed(client, lambda: client.inpaint({"path": str(big)}, first, seed=1, output=none, **cls, **extra))
            rows["one-shot inpaint"].append(t)
            if not args.skip_outpaint:
                t, r = timed(client, lambda: client.outpaint({"path": str(small)}, left=160, right=160, seed=1, output=none, **cls))
                rows["outpaint"].append(t)
                windows["outpaint"] = len(r["windows"])
    for name, values in rows.items():
        if values:
            extra = f"  ({windows[name]} windows)" if name in windows else ""
            wall = statistics.median(v[0] for v in values)
            cpu = statistics.median(v[1] for v in values)
            print(f"{name:18s} median wall {wall:7.2f} s, server CPU {cpu:7.2f} s  "
                  f"(CPU of {len(values)} rounds: {[round(v[1], 2) for v in values]}){extra}")


if __name__ == "__main__":
    main()
