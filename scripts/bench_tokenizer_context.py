#!/usr/bin/env python3
"""How far `tokenizerContext` moves an edit from the whole-window tokenizer passes (issue 11).

    .venv/bin/python scripts/bench_tokenizer_context.py [--images 32] [--contexts 0,1,2,4] [--model DIR]

On held-out emoji (data/emoji64.npz, the fixed held-out split), in a session per image: a first
inpaint of a 10 % rectangle, then a second one elsewhere (whose window lacks the cells the first
one blended, so the encoder crop is used), each with the whole-window tokenizer (absent) and with
tokenizerContext k, same seeds. Prints, per k, the PSNR between the k result and the whole-window
result over the whole image (identical images: inf), the share of pixels that differ, and the
largest difference, for the first edit (decoder crop only) and the second (encoder and decoder
crops).
"""
import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Clients" / "python"))
from maskgit_rpc import Client  # noqa: E402

FIRST, SECOND = (24, 24, 24, 16), (8, 40, 16, 16)


def compare(a, b):
    d = a.astype(np.float64) - b.astype(np.float64)
    mse = np.mean(d ** 2)
    return (float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)), float(np.mean(np.any(d != 0, -1))), float(np.abs(d).max())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=32)
    ap.add_argument("--contexts", default="0,1,2,4")
    ap.add_argument("--model", default=None)
    ap.add_argument("--data", default=str(REPO / "data" / "emoji64.npz"))
    a = ap.parse_args()
    d = np.load(a.data)
    idx = np.flatnonzero(d["heldout"])[: a.images]
    contexts = [None] + [int(k) for k in a.contexts.split(",")]
    results = {k: ([], []) for k in contexts}
    with Client(model_dir=a.model, args=["--threads", "1"]) as client:
        for i in idx:
            img, label = d["images"][i], int(d["labels"][i])
            for k in contexts:
                extra = {} if k is None else {"tokenizerContext": k}
                with client.open_session(img) as s:
                    r1 = s.inpaint([FIRST], label, seed=1, **extra)
                    r2 = s.inpaint([SECOND], label, seed=2, **extra)
                results[k][0].append(np.asarray(r1.image)[..., :3])
                results[k][1].append(np.asarray(r2.image)[..., :3])
    for k in contexts[1:]:
        for name, j in (("first edit (decoder crop)", 0), ("second edit (encoder + decoder crops)", 1)):
            stats = [compare(x, y) for x, y in zip(results[k][j], results[None][j])]
            finite = [p for p, _, _ in stats if p != float("inf")]
            identical = sum(1 for p, _, _ in stats if p == float("inf"))
            print(f"tokenizerContext {k}: {name}: identical images {identical}/{len(stats)}, "
                  f"PSNR vs whole-window median {np.median(finite) if finite else float('inf'):.1f} dB (min {min(finite) if finite else float('inf'):.1f}), "
                  f"pixels differing {100 * np.mean([f for _, f, _ in stats]):.1f} %, max diff {max(m for _, _, m in stats):.0f}", flush=True)


if __name__ == "__main__":
    main()
