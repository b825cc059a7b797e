"""Golden fixtures for the Swift parity tests (each fixture is written by this script; the command is quoted beside it).

Default: a tiny random-weight MaskGIT pair with the official Flax tree and names, every quirk
exercised, written to Tests/EngineTests/Fixtures/tiny:

    .venv/bin/python Training/maskgit_reference/make_fixtures.py

`--full-size OUT_DIR` writes a random official-shaped 256 pair (54.5M + 172.5M params) plus
reference outputs for a fixed 256x256 input, for opt-in tests (keep OUT_DIR under runs/,
which git ignores):

    .venv/bin/python Training/maskgit_reference/make_fixtures.py --full-size runs/fullsize

`--official-random 256|512 OUT_DIR` writes random weights of the official shape under the official
file names (`tokenizer_imagenet512_checkpoint`, ...) without reference outputs, for timing:

    .venv/bin/python Training/maskgit_reference/make_fixtures.py --official-random 512 runs/official-random-512

`--imagenet-shaped OUT_DIR` writes the tiny transformer widened to the official 1000 classes, as
an official msgpack file (no names) beside a link to the tiny tokenizer, for the ImageNet
class-name tests:

    .venv/bin/python Training/maskgit_reference/make_fixtures.py --imagenet-shaped Tests/EngineTests/Fixtures/imagenet-shaped

`--image-size 512` makes the official 512 shapes instead (32x32 tokens, 1025 positions, the
same tokenizer tree; 173.0M transformer params):

    .venv/bin/python Training/maskgit_reference/make_fixtures.py --full-size runs/fullsize512 --image-size 512

Weights are float32 drawn from a seeded numpy generator; the expected outputs are computed by
`numpy_ref` in float64 from exactly those float32 weights and float32 (k/255) inputs, then
stored as float32.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from maskgit_flax import transformer as flax_transformer  # noqa: E402
from maskgit_flax import vqgan as flax_vqgan  # noqa: E402
from maskgit_flax.config import (  # noqa: E402
    OFFICIAL_TOKENIZER, OFFICIAL_TRANSFORMER_256, OFFICIAL_TRANSFORMER_512, TINY_NUM_CLASSES, TINY_TOKENIZER,
    TINY_TRANSFORMER, TokenizerConfig, TransformerConfig,
)
from maskgit_reference import checkpoint_io as cio  # noqa: E402
from maskgit_reference import numpy_ref as ref  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "Tests" / "EngineTests" / "Fixtures" / "tiny"
TINY_CLASS_NAMES = ["tench", "goldfish", "great white shark", "tiger shark", "hammerhead",
                    "electric ray", "stingray", "cock", "hen", "ostrich"]
MIN_RELATIVE_MARGIN = 1e-3
WEIGHT_SEED = 20260601


# MARK: - random weights


def random_tree(shape_tree: Any, rng: np.random.Generator, path: str = "") -> dict[str, Any]:
    """Float32 weights for every leaf of a shape tree, in sorted path order (deterministic).

    Norm scales ~U(0.5, 1.5) and biases ~N(0, 0.1^2) so that a swapped scale/bias, a wrong eps
    or a missing bias shows up; kernels ~N(0, 1/fan_in) keep activations O(1).
    """
    out: dict[str, Any] = {}
    for key in sorted(shape_tree.keys()):
        v = shape_tree[key]
        p = f"{path}/{key}" if path else key
        if hasattr(v, "keys"):
            out[key] = random_tree(v, rng, p)
            continue
        shape = tuple(v.shape)
        if key == "scale":
            a = rng.uniform(0.5, 1.5, shape)
        elif key == "bias":
            a = rng.normal(0.0, 0.1, shape)
        elif key == "embedding":
            a = rng.normal(0.0, 1.0, shape)
        elif key == "codebook":
            a = rng.normal(0.0, 1.0, shape)  # replaced by pick_codebook
        elif key == "kernel":
            if "self_attention/out" in p:
                fan_in = shape[0] * shape[1]          # (N, Hd, D)
            elif len(shape) == 4:
                fan_in = shape[0] * shape[1] * shape[2]  # HWIO
            else:
                fan_in = shape[0]                     # (in, out) or (in, N, Hd)
            a = rng.normal(0.0, 1.0 / np.sqrt(fan_in), shape)
        else:
            raise ValueError(f"no initializer for {p}")
        out[key] = a.astype(np.float32)
    return out


def relative_margins(params: Any, z: np.ndarray) -> np.ndarray:
    """(second-best - best distance) / mean ||z||^2 per position."""
    d = np.sort(ref.quantize_distances(params, z), axis=-1)
    return (d[..., 1] - d[..., 0]) / float((z.astype(np.float64) ** 2).sum(-1).mean())


def pick_codebook(params: Any, cfg: TokenizerConfig, zs: list[np.ndarray],
                  seed: int, jitter: float = 0.5, copies: float = 0.5) -> tuple[np.ndarray, float, int]:
    """A z-like codebook: a share `copies` of jittered copies of encoder outputs (so ids vary
    across the image), the rest Gaussian draws with the latents' mean/std. Redrawn (next seed)
    until the best/second-best margin exceeds MIN_RELATIVE_MARGIN at every position. The 512
    shapes (1024 latents, 1024 codes) use copies=1.0: with half the codes random, some of the
    1024 positions always had a near-tie."""
    flat = np.concatenate([z.reshape(-1, cfg.embedding_dim) for z in zs]).astype(np.float64)
    mu, sd = flat.mean(0), flat.std(0) + 1e-6
    for attempt in range(100):
        rng = np.random.default_rng(seed + attempt)
        k = cfg.codebook_size
        n_copy = min(int(k * copies), len(flat))
        rows = rng.choice(len(flat), n_copy, replace=False)
        cb = np.empty((k, cfg.embedding_dim))
        cb[:n_copy] = flat[rows] + jitter * sd * rng.normal(size=(n_copy, cfg.embedding_dim))
        cb[n_copy:] = mu + sd * rng.normal(size=(k - n_copy, cfg.embedding_dim))
        cb = cb[rng.permutation(k)].astype(np.float32)
        params["quantizer"]["codebook"] = cb
        m = min(float(relative_margins(params, z).min()) for z in zs)
        if m > MIN_RELATIVE_MARGIN:
            return cb, m, seed + attempt
    raise RuntimeError("no codebook with a safe argmin margin in 100 attempts")


def test_image(rng: np.random.Generator, h: int, w: int, smooth: bool = True) -> np.ndarray:
    """A smooth gradient plus noise (or pure noise), quantised to k/255 so float32 holds it
    exactly. Pure noise keeps the 256 latents of the full-size image far apart (a smooth image
    gives near-duplicate latents, and then no codebook has a safe argmin margin)."""
    if not smooth:
        return (np.round(rng.uniform(size=(h, w, 3)) * 255) / 255).astype(np.float32)[None]
    yy, xx = np.meshgrid(np.linspace(0, 1, h), np.linspace(0, 1, w), indexing="ij")
    base = np.stack([yy, xx, 0.5 * (yy + xx)], axis=-1)
    img = np.clip(0.7 * base + 0.3 * rng.uniform(size=(h, w, 3)), 0, 1)
    return (np.round(img * 255) / 255).astype(np.float32)[None]


# MARK: - builders


def build_pair(tcfg: TokenizerConfig, xcfg: TransformerConfig, image_sizes: list[tuple[int, int]],
               seed: int, smooth: bool = True, jitter: float = 0.5, copies: float = 0.5) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    tok = random_tree(flax_vqgan.init_shapes(tcfg), rng)
    trf = random_tree(flax_transformer.init_shapes(xcfg), rng)
    images = [test_image(rng, h, w, smooth) for (h, w) in image_sizes]
    zs = [ref.encode(tok, tcfg, img) for img in images]
    _, margin, cb_seed = pick_codebook(tok, tcfg, zs, seed + 1, jitter, copies)
    ids = [ref.quantize(tok, z) for z in zs]
    decoded = [ref.decode_ids(tok, tcfg, i) for i in ids]

    # Fixed sequence: class token K + 3 at position 0, the first image's ids, some masked.
    k, mask_id = tcfg.codebook_size, xcfg.vocab_size - 1
    body = ids[0].reshape(-1)[: xcfg.max_position_embeddings - 1].copy()
    n = len(body)
    body[[i for i in (1, 4, 5, n // 2, n - 1) if i < n]] = mask_id
    tokens = np.concatenate([[k + 3], body]).astype(np.int32)[None]
    logits = ref.transformer_logits(trf, xcfg, tokens)
    return dict(tok=tok, trf=trf, images=images, zs=zs, ids=ids, decoded=decoded,
                tokens=tokens, logits=logits, margin=margin, codebook_seed=cb_seed)


def expected_arrays(pair: dict[str, Any]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for i, prefix in enumerate(["", "odd/"][: len(pair["images"])]):
        out[prefix + "image"] = pair["images"][i].astype(np.float32)
        out[prefix + "latents"] = pair["zs"][i].astype(np.float32)
        out[prefix + "token_ids"] = pair["ids"][i].astype(np.int32)
        out[prefix + "decoded"] = pair["decoded"][i].astype(np.float32)
    out["transformer/tokens"] = pair["tokens"].astype(np.int32)
    out["transformer/logits"] = pair["logits"].astype(np.float32)
    return out


def write_pair(out: Path, pair: dict[str, Any], tcfg: TokenizerConfig, xcfg: TransformerConfig,
               class_names: list[str], image_size: int, variants: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    cio.save_msgpack(out / "tokenizer.msgpack", pair["tok"])
    cio.save_msgpack(out / "transformer.msgpack", pair["trf"])
    cio.save_safetensors(out / "tokenizer.safetensors", pair["tok"],
                         cio.tokenizer_metadata(tcfg, image_size, "random-weight parity fixture"))
    cio.save_safetensors(out / "transformer.safetensors", pair["trf"],
                         cio.transformer_metadata(xcfg, tcfg.codebook_size, class_names,
                                                  image_size=image_size,
                                                  description="random-weight parity fixture"))
    if variants:
        import ml_dtypes
        cio.save_msgpack(out / "tokenizer-f16.msgpack", cio.cast_tree(pair["tok"], np.float16))
        cio.save_msgpack(out / "transformer-bf16.msgpack",
                         cio.cast_tree(pair["trf"], ml_dtypes.bfloat16))
    md = {"producer": "Training/maskgit_reference/make_fixtures.py",
          "precision": "numpy float64 from float32 weights/inputs, stored float32",
          "argmin_min_relative_margin": f"{pair['margin']:.6g}",
          "codebook_seed": str(pair["codebook_seed"]),
          "tokenizer_config": tcfg.to_json(), "transformer_config": xcfg.to_json()}
    cio.save_safetensors(out / "expected.safetensors", expected_arrays(pair), md)


def make_tiny(out: Path) -> dict[str, Any]:
    pair = build_pair(TINY_TOKENIZER, TINY_TRANSFORMER, [(16, 16), (24, 16)], WEIGHT_SEED)
    assert len(TINY_CLASS_NAMES) == TINY_NUM_CLASSES
    write_pair(out, pair, TINY_TOKENIZER, TINY_TRANSFORMER, TINY_CLASS_NAMES, 16, variants=True)
    return pair


def make_full_size(out: Path, image_size: int = 256) -> dict[str, Any]:
    class_names = [f"class_{i}" for i in range(1000)]
    xcfg = OFFICIAL_TRANSFORMER_512 if image_size == 512 else OFFICIAL_TRANSFORMER_256
    pair = build_pair(OFFICIAL_TOKENIZER, xcfg, [(image_size, image_size)], WEIGHT_SEED,
                      smooth=False, jitter=0.1, copies=1.0 if image_size == 512 else 0.5)
    write_pair(out, pair, OFFICIAL_TOKENIZER, xcfg, class_names, image_size, variants=False)
    return pair


def make_imagenet_shaped(out: Path) -> Path:
    """The tiny transformer widened to the official 1000 classes (vocabulary 64 + 1000 + 1, no
    null class), as an official msgpack file without names under the official file name, beside
    a link to the tiny tokenizer: a model the server treats as an official ImageNet checkpoint."""
    xcfg = dataclasses.replace(TINY_TRANSFORMER, vocab_size=TINY_TOKENIZER.codebook_size + 1000 + 1)
    rng = np.random.default_rng(WEIGHT_SEED + 1000)
    trf = random_tree(flax_transformer.init_shapes(xcfg), rng)
    out.mkdir(parents=True, exist_ok=True)
    cio.save_msgpack(out / "maskgit_imagenet256_checkpoint", trf)
    link = out / "tokenizer_imagenet256_checkpoint"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(Path("..") / "tiny" / "tokenizer.msgpack")
    return out


def make_official_random(out: Path, size: int) -> Path:
    """Random weights of the official 256 or 512 shape under the official file names, without
    reference outputs: for timing and for serving as an official checkpoint would be."""
    xcfg = OFFICIAL_TRANSFORMER_256 if size == 256 else OFFICIAL_TRANSFORMER_512
    rng = np.random.default_rng(WEIGHT_SEED + size)
    out.mkdir(parents=True, exist_ok=True)
    tok = random_tree(flax_vqgan.init_shapes(OFFICIAL_TOKENIZER), rng)
    cio.save_msgpack(out / f"tokenizer_imagenet{size}_checkpoint", tok)
    del tok
    trf = random_tree(flax_transformer.init_shapes(xcfg), rng)
    cio.save_msgpack(out / f"maskgit_imagenet{size}_checkpoint", trf)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="tiny fixture directory")
    ap.add_argument("--full-size", type=Path, metavar="OUT_DIR",
                    help="write the random full-size official-shaped pair instead")
    ap.add_argument("--imagenet-shaped", type=Path, metavar="OUT_DIR",
                    help="write the tiny pair widened to the official 1000 classes instead "
                         "(Tests/EngineTests/Fixtures/imagenet-shaped)")
    ap.add_argument("--official-random", nargs=2, metavar=("SIZE", "OUT_DIR"),
                    help="write random weights of the official 256 or 512 shape under the official "
                         "file names, no reference outputs (for timing; keep OUT_DIR under runs/)")
    ap.add_argument("--image-size", type=int, choices=(256, 512), default=256,
                    help="the official shape of --full-size: 256 (16x16 tokens) or 512 (32x32)")
    args = ap.parse_args(argv)
    if args.official_random is not None:
        size = int(args.official_random[0])
        if size not in (256, 512):
            ap.error("--official-random SIZE must be 256 or 512")
        print(json.dumps({"out": str(make_official_random(Path(args.official_random[1]), size))}))
        return 0
    if args.imagenet_shaped is not None:
        print(json.dumps({"out": str(make_imagenet_shaped(args.imagenet_shaped))}))
        return 0
    if args.full_size is not None:
        pair = make_full_size(args.full_size, args.image_size)
        where = args.full_size
    else:
        pair = make_tiny(args.out)
        where = args.out
    summary = {"out": str(where), "argmin_min_relative_margin": pair["margin"],
               "token_ids": [i.reshape(-1).tolist() for i in pair["ids"]]}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
