"""Markdown table of `evaluate` metrics scored by the judge classifier, one column per model.

  python scripts/judge_metrics_table.py NAME=DIR [NAME=DIR ...]

DIR holds metrics_w2.json (guidance 2) and optionally metrics_w0.json (guidance 0), as written by
`evaluate --classifier runs/judge --guidance {2,0} --out DIR/metrics_w{2,0}.json`.
"""
import json
import os
import sys


def load(d, w):
    p = os.path.join(d, f"metrics_w{w}.json")
    return json.load(open(p)) if os.path.exists(p) else None


def rows(m2, m0):
    t, fd, fd0 = m2["tokenizer"], m2["frechet_distance_vs_heldout"], (m0 or {}).get("frechet_distance_vs_heldout", {})
    na = "not measured"
    f = lambda v, fmt="{:.3f}": fmt.format(v) if v is not None else na
    return [
        ("tokenizer PSNR, held-out, mean / median",
         f"{t['heldout_psnr_mean']:.2f} / {t['heldout_psnr_median']:.2f} dB"),
        ("codebook usage (all images), perplexity", f"{t['codes_used_all_images']} of {t['codebook_size']}, "
                                                    f"{t['perplexity_all_images']:.0f}"),
        ("judge held-out accuracy (ceiling)", f(m2["classifier_heldout_accuracy"])),
        ("judge accuracy on samples, guidance 2", f(m2["samples"]["classifier_accuracy"])),
        ("judge accuracy on samples, guidance 0", f(m0["samples"]["classifier_accuracy"]) if m0 else na),
        ("Fréchet distance to held-out, samples, guidance 2", f(fd["generated"], "{:.2f}")),
        ("Fréchet distance to held-out, samples, guidance 0", f(fd0.get("generated"), "{:.2f}")),
        ("Fréchet distance, tokenizer reconstructions (baseline)", f(fd["baseline_tokenizer_reconstruction"], "{:.2f}")),
        ("Fréchet distance, decoded random tokens (baseline)", f(fd["baseline_random_tokens"], "{:.2f}")),
        ("Fréchet distance, centre inpainted, guidance 2", f(fd["inpainted_centre_composited"], "{:.2f}")),
        ("judge accuracy on centre-inpainted held-out, guidance 2", f(m2["inpainting"]["classifier_accuracy"])),
        ("judge accuracy on centre-inpainted held-out, guidance 0",
         f(m0["inpainting"]["classifier_accuracy"]) if m0 else na),
    ]


def main(args):
    cols = [a.split("=", 1) for a in args]
    tables = [rows(load(d, 2), load(d, 0)) for _, d in cols]
    out = ["| metric | " + " | ".join(n for n, _ in cols) + " |", "| --- |" + " --- |" * len(cols)]
    for i, (name, _) in enumerate(tables[0]):
        out.append(f"| {name} | " + " | ".join(t[i][1] for t in tables) + " |")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
