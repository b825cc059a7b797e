"""Python peer for the Swift benchmark: times the numpy reference and prints one JSON object.

    .venv/bin/python Training/maskgit_reference/bench.py \
        --tokenizer runs/fullsize/tokenizer.msgpack --transformer runs/fullsize/transformer.msgpack \
        --image-size 256 [--dtype float32] [--repeats 1] [--threads N]

Phases: load (both files, either format), encode (image -> z -> ids), one transformer pass
(class token + all-mask sequence), decode (ids -> pixels). Times are seconds (best of repeats);
`*_median_s` and `*_times_s` give the median and every repeat (after `--warmup` untimed runs),
which is what `maskgit-bench` (the Swift benchmark) reads. The BLAS thread count is numpy's
OpenBLAS default unless OPENBLAS_NUM_THREADS is set (maskgit-bench sets it to its own count).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def _threads_from_argv(argv: list[str]) -> str | None:
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return None


# The BLAS thread count must be fixed before numpy loads OpenBLAS. On a loaded machine the
# default (one thread per core, busy-waiting) can be several times slower than 1 thread.
_THREADS = _threads_from_argv(sys.argv[1:])
if _THREADS is not None:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _THREADS

import numpy as np  # noqa: E402

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from maskgit_flax.config import TokenizerConfig, TransformerConfig  # noqa: E402
from maskgit_reference import checkpoint_io as cio  # noqa: E402
from maskgit_reference import numpy_ref as ref  # noqa: E402


def infer_tokenizer_config(p) -> TokenizerConfig:
    enc = p["encoder"]
    filters = enc["Conv_0"]["kernel"].shape[-1]
    n_blocks = len([k for k in enc if k.startswith("ResBlock_")])
    dec_convs = len([k for k in p["decoder"] if k.startswith("Conv_")])
    levels = dec_convs - 1  # Conv_0, Conv_1..Conv_{levels-1}, output conv
    nrb = n_blocks // (levels + 1)
    mults = tuple(enc[f"ResBlock_{i * nrb}"]["Conv_1"]["kernel"].shape[-1] // filters
                  for i in range(levels))
    k, e = p["quantizer"]["codebook"].shape
    return TokenizerConfig(filters=filters, channel_multipliers=mults, num_res_blocks=nrb,
                           embedding_dim=e, codebook_size=k)


def infer_transformer_config(p) -> TransformerConfig:
    v, d = p["Embed_0"]["word_embeddings"]["embedding"].shape
    q = p["TransformerLayer_0"]["Attention_0"]["self_attention"]["query"]["kernel"]
    return TransformerConfig(
        vocab_size=v, hidden_size=d,
        num_layers=len([k for k in p if k.startswith("TransformerLayer_")]),
        num_heads=q.shape[1],
        intermediate_size=p["TransformerLayer_0"]["Mlp_0"]["intermediate_output"]["kernel"].shape[1],
        max_position_embeddings=p["Embed_0"]["position_embeddings"]["embedding"].shape[0])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="numpy reference timings (JSON on stdout)")
    ap.add_argument("--tokenizer", type=Path, required=True)
    ap.add_argument("--transformer", type=Path, required=True)
    ap.add_argument("--image-size", type=int, default=256)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS threads (sets OPENBLAS_NUM_THREADS before numpy loads)")
    ap.add_argument("--warmup", type=int, default=0, help="untimed runs of each phase first")
    args = ap.parse_args(argv)
    dtype = np.dtype(args.dtype)

    # Import the readers before the clock starts, so load_s times reading, not importing flax.
    from flax import serialization  # noqa: F401
    import safetensors  # noqa: F401

    t0 = time.perf_counter()
    tok = cio.cast_tree(cio.load_params(args.tokenizer), dtype)
    trf = cio.cast_tree(cio.load_params(args.transformer), dtype)
    load_s = time.perf_counter() - t0
    tcfg, xcfg = infer_tokenizer_config(tok), infer_transformer_config(trf)

    rng = np.random.default_rng(0)
    img = rng.uniform(size=(1, args.image_size, args.image_size, 3)).astype(dtype)

    all_times: dict[str, list[float]] = {}

    def best(fn, name=None):
        times, out = [], None
        for _ in range(args.warmup):
            out = fn()
        for _ in range(args.repeats):
            t = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t)
        if name:
            all_times[name] = times
        return min(times), out

    encode_s, ids = best(lambda: ref.quantize(tok, ref.encode(tok, tcfg, img, dtype), dtype), "encode")
    n = ids.size
    tokens = np.full((1, n + 1), xcfg.vocab_size - 1, dtype=np.int32)
    tokens[0, 0] = tcfg.codebook_size  # class 0
    step_s, _ = best(lambda: ref.transformer_logits(trf, xcfg, tokens, dtype), "transformer_pass")
    decode_s, _ = best(lambda: ref.decode_ids(tok, tcfg, ids, dtype), "decode")
    result = {
        "peer": "numpy_ref", "dtype": args.dtype, "image_size": args.image_size,
        "tokens": int(n), "numpy": np.__version__,
        "load_s": round(load_s, 4), "encode_s": round(encode_s, 4),
        "transformer_pass_s": round(step_s, 4), "decode_s": round(decode_s, 4),
        "repeats": args.repeats, "warmup": args.warmup,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
    }
    for name, times in all_times.items():
        result[f"{name}_median_s"] = round(float(np.median(times)), 6)
        result[f"{name}_times_s"] = [round(t, 6) for t in times]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
