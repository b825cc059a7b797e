#!/usr/bin/env python3
"""Inpainting quality against decoding steps, by mask area, on held-out emoji (issue 11).

    .venv/bin/python scripts/bench_inpaint_steps.py [--images 48] [--seeds 2] [--steps 12,8,6,4,3,2]
        [--model DIR] [--adaptive]

Needs data/emoji64.npz (`Training/scripts/train_v2.sh prepare`, or `python -m maskgit_training
prepare`). For each held-out image (the first --images of the fixed held-out split), each mask (a
token-aligned rectangle covering about 10 %, 25 % and 50 % of the 64 px window) and each step
count T, the real server inpaints the rectangle one-shot with the image's own class (seeds
1..--seeds) and the script records:
  psnr  PSNR of the rectangle against the original pixels (how close the fill stays to the
        held-out truth; higher is better),
  seam  mean absolute difference across the rectangle's border (2 px ring inside vs outside,
        minus the same statistic on the original: 0 means the fill continues like the original),
  ms    the server's totalMs.
Each row also gives the paired difference against the first row of its mask (same images and
seeds; ± one standard error), which is what separates step counts: the spread between images
is far larger than the effect of the steps.
With --adaptive it also runs `"adaptiveSteps": true` at T = 12 (the server picks the steps from
the masked share) and prints what it picked. Prints one line per (mask, T) with means.
"""
import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Clients" / "python"))
from maskgit_rpc import Client  # noqa: E402

MASKS = {"10%": (24, 24, 24, 16), "25%": (16, 16, 32, 32), "50%": (0, 16, 64, 32)}


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def seam(img, rect):
    x, y, w, h = rect
    f = img.astype(np.float64)
    diffs = []
    if y >= 2:
        diffs.append(np.abs(f[y:y + 2, x:x + w] - f[y - 2:y, x:x + w][::-1]).mean())
    if y + h + 2 <= f.shape[0]:
        diffs.append(np.abs(f[y + h - 2:y + h, x:x + w] - f[y + h:y + h + 2, x:x + w][::-1]).mean())
    if x >= 2:
        diffs.append(np.abs(f[y:y + h, x:x + 2] - f[y:y + h, x - 2:x][:, ::-1]).mean())
    if x + w + 2 <= f.shape[1]:
        diffs.append(np.abs(f[y:y + h, x + w - 2:x + w] - f[y:y + h, x + w:x + w + 2][:, ::-1]).mean())
    return float(np.mean(diffs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=48)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--steps", default="12,8,6,4,2")
    ap.add_argument("--model", default=None)
    ap.add_argument("--adaptive", action="store_true")
    ap.add_argument("--data", default=str(REPO / "data" / "emoji64.npz"))
    a = ap.parse_args()
    d = np.load(a.data)
    idx = np.flatnonzero(d["heldout"])[: a.images]
    steps = [int(s) for s in a.steps.split(",")]
    runs = [(t, False) for t in steps] + ([(12, True)] if a.adaptive else [])
    with Client(model_dir=a.model, args=["--threads", "1"]) as client:
        for name, rect in MASKS.items():
            x, y, w, h = rect
            reference = None
            for t, adaptive in runs:
                ps, ss, ms, picked = [], [], [], set()
                for i in idx:
                    img = d["images"][i]
                    base = seam(img, rect)
                    for seed in range(1, a.seeds + 1):
                        opts = {"steps": t, "seed": seed}
                        if adaptive:
                            opts["adaptiveSteps"] = True
                        r = client.inpaint(img, [rect], int(d["labels"][i]), **opts)
                        out = np.asarray(r.image)[..., :3]
                        ps.append(psnr(out[y:y + h, x:x + w], img[y:y + h, x:x + w]))
                        ss.append(seam(out, rect) - base)
                        ms.append(r["timings"]["totalMs"])
                        if adaptive and r.get("windows"):
                            picked.add(r["windows"][0].get("steps"))
                label = f"adaptive (picked {sorted(picked)})" if adaptive else f"T={t}"
                if not reference:
                    reference = (ps, ss)
                dp = [p - q for p, q in zip(ps, reference[0])]
                ds = [p - q for p, q in zip(ss, reference[1])]
                se = lambda v: statistics.stdev(v) / len(v) ** 0.5 if len(v) > 1 else 0.0  # noqa: E731
                print(f"{name:>4} {label:<24} psnr {statistics.mean(ps):6.2f} dB  seam {statistics.mean(ss):+6.2f}  "
                      f"vs first row (paired): psnr {statistics.mean(dp):+5.2f} ± {se(dp):4.2f}, seam {statistics.mean(ds):+5.2f} ± {se(ds):4.2f}  "
                      f"totalMs median {statistics.median(ms):6.1f}  n={len(ps)}", flush=True)


if __name__ == "__main__":
    main()
