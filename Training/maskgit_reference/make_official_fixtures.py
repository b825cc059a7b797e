"""Fixtures of the official decoding/editing layer, made with the pinned JAX and Pillow.

    .venv/bin/python Training/maskgit_reference/make_official_fixtures.py schedule
    .venv/bin/python Training/maskgit_reference/make_official_fixtures.py random
    .venv/bin/python Training/maskgit_reference/make_official_fixtures.py decodes
    .venv/bin/python Training/maskgit_reference/make_official_fixtures.py decodes-small
    .venv/bin/python Training/maskgit_reference/make_official_fixtures.py composite

* `schedule` -> Tests/EditingTests/Fixtures/official-schedule.json: the clamped mask_len of
  every step of the jitted official decode (`official_decode.decode`, XLA CPU) for every method
  x N x T x start case below (N = initially unknown tokens, batched; logits are fixed random
  per position so that no confidence ties change the counts).
* `random` -> Tests/EditingTests/Fixtures/jax-random.json: `jax.random.PRNGKey`, `split`,
  random bits, `uniform`, `gumbel` (as float32 bit patterns) and `categorical`, with
  jax_threefry_partitionable True (the JAX 0.10 default) and False.
* `decodes` -> Tests/EngineTests/Fixtures/tiny/official-decodes.json: whole official decodes
  (generation from all-mask input, class editing with the official latent mask, start 2 of
  12) on the tiny random model, with the Flax transformer (`maskgit_flax.transformer.Transformer`) as
  `tokens_to_logits`, batch 1, for several seeds.
* `decodes-small` -> Tests/EngineTests/Fixtures/small-transformer/: a random narrow transformer
  with the official vocabulary layout and 257 positions (Flax msgpack) and whole official decodes
  of its 256 image positions (generation T 16, class edit start 2 of 12).
* `composite` -> Tests/EditingTests/Fixtures/official-composite/: the official composite
  weight (Pillow bicubic resize + GaussianBlur of the uint8 latent mask) as 8-bit PNGs for
  several image sizes and boxes, plus `cases.json`.

Each file records this command. Deterministic: rerunning gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from maskgit_reference import official_decode as od  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
EDITING_FIXTURES = REPO / "Tests" / "EditingTests" / "Fixtures"
TINY = REPO / "Tests" / "EngineTests" / "Fixtures" / "tiny"
COMMAND = ".venv/bin/python Training/maskgit_reference/make_official_fixtures.py"

SCHEDULE_N = (1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 100, 127, 128, 255, 256, 511, 512, 1000, 1023, 1024)
SCHEDULE_T = (2, 4, 6, 8, 10, 12, 16, 24)


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(obj, indent=1, sort_keys=True)
    # Lists of numbers on one line each (readable diffs, smaller files).
    text = re.sub(r"\[\s*([-0-9.e, \n]+?)\s*\]", lambda m: "[" + ",".join(m.group(1).split()).replace(",,", ",") + "]", text)
    path.write_text(text + "\n")
    print("wrote", path.relative_to(REPO))


# MARK: - schedule


def schedule_fixture() -> dict:
    v = 4
    length = max(SCHEDULE_N) + 1
    mask_id = v + 1
    rng = np.random.default_rng(7)
    table = jnp.asarray(rng.normal(size=(v + 2, v)).astype(np.float32))
    offsets = jnp.asarray(rng.normal(size=(length, v)).astype(np.float32) * 3)

    def tokens_to_logits(seq):
        return table[seq] + offsets[None]

    rows = []
    for n in SCHEDULE_N:
        row = np.full(length, 0, np.int32)            # known code 0 ...
        row[0] = v                                    # ... class token at 0
        row[1:1 + n] = mask_id                        # ... n unknown tokens
        rows.append(row)
    inputs = jnp.asarray(np.stack(rows))
    cases = []
    for method in od.METHODS:
        for t in SCHEDULE_T:
            for start in (0, 2):
                if start >= t:
                    continue
                _, lens = od.decode(inputs, jax.random.PRNGKey(0), tokens_to_logits, mask_token_id=mask_id,
                                    num_iter=t, start_iter=start, method=method)
                lens = np.asarray(lens)
                for i, n in enumerate(SCHEDULE_N):
                    cases.append({"method": method, "N": n, "T": t, "start": start,
                                  "maskLen": lens[i, start:].tolist()})
                print(method, t, start, flush=True)
    return {"command": f"{COMMAND} schedule", "jax": jax.__version__, "backend": jax.default_backend(),
            "note": "mask_len after each step start..T-1 of the jitted official decode (clamped: "
                    "max(1, min(unknown_now - 1, floor(N * gamma))))",
            "cases": cases}


# MARK: - random


def _bits(x) -> list[int]:
    a = np.asarray(x)
    if a.dtype == np.float32:
        a = a.view(np.uint32)
    return [int(v) for v in a.ravel()]


def random_fixture() -> dict:
    out = {"command": f"{COMMAND} random", "jax": jax.__version__}
    for partitionable in (True, False):
        jax.config.update("jax_threefry_partitionable", partitionable)
        entries = []
        for seed in (0, 1, 42, 1234, 2**31 - 1, 2**32 - 1, 2**32 + 5, 2**53 - 1):
            key = jax.random.PRNGKey(seed)
            k1, k2 = jax.random.split(key, 2)
            split3 = jax.random.split(key, 3)
            e = {
                "seed": seed,
                "key": _bits(key),
                "split2": [_bits(k1), _bits(k2)],
                "split3": [_bits(k) for k in split3],
                "bits7": _bits(jax.random.bits(key, (7,), jnp.uint32)),
                "bits2x3": _bits(jax.random.bits(key, (2, 3), jnp.uint32)),
                "uniform5": _bits(jax.random.uniform(key, (5,))),
                "gumbel6": _bits(jax.random.gumbel(key, (6,))),
                "gumbel3x5": _bits(jax.random.gumbel(key, (3, 5))),
            }
            logits = np.random.default_rng(seed % 1000).normal(size=(2, 5, 7)).astype(np.float32)
            e["logits"] = _bits(logits)
            e["categorical"] = _bits(jax.random.categorical(key, jnp.asarray(logits)).astype(jnp.uint32))
            entries.append(e)
        # Many gumbel draws to count how often the engine's log differs from XLA's in the last bit.
        big = jax.random.gumbel(jax.random.PRNGKey(2026), (4096,))
        out["partitionable" if partitionable else "legacy"] = {
            "entries": entries, "gumbel4096_seed2026": _bits(big)}
    jax.config.update("jax_threefry_partitionable", True)
    return out


# MARK: - decodes on the tiny model


def decodes_fixture() -> dict:
    from maskgit_flax.config import TINY_TOKENIZER, TINY_TRANSFORMER
    from maskgit_flax.transformer import Transformer
    from maskgit_reference import checkpoint_io as cio

    params_t = cio.load_msgpack(TINY / "transformer.msgpack")
    params_v = cio.load_msgpack(TINY / "tokenizer.msgpack")
    model = Transformer(TINY_TRANSFORMER)
    codes = TINY_TOKENIZER.codebook_size
    mask_id = TINY_TRANSFORMER.vocab_size - 1
    g = 4
    stride = 4
    size = g * stride

    @jax.jit
    def _logits(seq):
        return model.apply({"params": params_t}, seq)[..., :codes]

    def tokens_to_logits(seq):
        return _logits(seq)

    # The image to edit: the tokenizer's own encode of the fixture image.
    import safetensors.numpy as stn
    expected = stn.load_file(str(TINY / "expected.safetensors"))
    image_tokens = expected["token_ids"].reshape(1, -1).astype(np.int32)
    cases = []
    for partitionable in (True, False):
        jax.config.update("jax_threefry_partitionable", partitionable)
        for seed in (0, 1, 7, 42, 1234):
            for label in (3, 8):
                for steps in (12, 16, 8):
                    inputs = np.concatenate([[[codes + label]], np.full((1, g * g), mask_id)], axis=1).astype(np.int32)
                    final, _ = od.decode(jnp.asarray(inputs), jax.random.PRNGKey(seed), tokens_to_logits,
                                         mask_token_id=mask_id, num_iter=steps, start_iter=0,
                                         choice_temperature=4.5, method="cosine")
                    cases.append({"kind": "generate", "partitionable": partitionable, "seed": seed,
                                  "class": label, "steps": steps, "start": 0, "input": inputs[0, 1:].tolist(),
                                  "tokens": np.asarray(final[0, -1, 1:]).tolist()})
                # Class edit: box (top, left, h, w) in pixels, official latent mask at stride 4.
                for box in ((4, 4, 8, 8), (0, 0, 5, 7), (6, 9, 6, 4)):
                    lm = od.edit_token_mask(*box, image_size=size, stride=stride).reshape(1, -1)
                    masked = ((1 - lm) * image_tokens + mask_id * lm).astype(np.int32)
                    inputs = np.concatenate([[[codes + label]], masked], axis=1).astype(np.int32)
                    final, _ = od.decode(jnp.asarray(inputs), jax.random.PRNGKey(seed), tokens_to_logits,
                                         mask_token_id=mask_id, num_iter=12, start_iter=2,
                                         choice_temperature=4.5, method="cosine")
                    cases.append({"kind": "classEdit", "partitionable": partitionable, "seed": seed,
                                  "class": label, "steps": 12, "start": 2, "box": list(box),
                                  "input": inputs[0, 1:].tolist(),
                                  "tokens": np.asarray(final[0, -1, 1:]).tolist()})
    jax.config.update("jax_threefry_partitionable", True)
    del params_v
    return {"command": f"{COMMAND} decodes", "jax": jax.__version__, "maskTokenID": mask_id,
            "note": "batch 1; input/tokens are the 16 image positions (the class token 64+class is "
                    "prepended); official cosine schedule, choice temperature 4.5; box = (top, left, "
                    "height, width) in pixels of the 16x16 image",
            "cases": cases}


# MARK: - decodes at the official 256 sequence shape (small random transformer)


SMALL = REPO / "Tests" / "EngineTests" / "Fixtures" / "small-transformer"


def small_decodes_fixture() -> dict:
    """A random transformer with the official vocabulary layout and sequence length (1024 codes,
    classes, mask 2024-like at V-1; 257 positions), narrow (hidden 32, 2 layers), saved as Flax
    msgpack; whole official decodes of its 256 image positions with the pinned JAX."""
    from maskgit_flax import transformer as flax_transformer
    from maskgit_flax.config import TransformerConfig
    from maskgit_reference import checkpoint_io as cio
    from maskgit_reference import make_fixtures as mf

    codes, classes = 1024, 10
    cfg = TransformerConfig.square(257, vocab_size=codes + classes + 1, hidden_size=32, num_layers=2,
                                   num_heads=4, intermediate_size=64)
    params = mf.random_tree(flax_transformer.init_shapes(cfg), np.random.default_rng(20261202))
    SMALL.mkdir(parents=True, exist_ok=True)
    cio.save_msgpack(SMALL / "transformer.msgpack", params)
    model = flax_transformer.Transformer(cfg)
    mask_id = cfg.vocab_size - 1

    @jax.jit
    def _logits(seq):
        return model.apply({"params": params}, seq)[..., :codes]

    def tokens_to_logits(seq):
        return _logits(seq)

    rng = np.random.default_rng(5)
    image_tokens = rng.integers(0, codes, size=(1, 256)).astype(np.int32)
    cases = []
    for seed in (0, 42, 1234):
        label = seed % classes
        if seed == 0:   # one generation (the costly case for the Swift debug test), three edits
            inputs = np.concatenate([[[codes + label]], np.full((1, 256), mask_id)], axis=1).astype(np.int32)
            final, _ = od.decode(jnp.asarray(inputs), jax.random.PRNGKey(seed), tokens_to_logits, mask_token_id=mask_id,
                                 num_iter=16, start_iter=0, choice_temperature=4.5, method="cosine")
            cases.append({"kind": "generate", "seed": seed, "class": label, "steps": 16, "start": 0,
                          "input": inputs[0, 1:].tolist(), "tokens": np.asarray(final[0, -1, 1:]).tolist()})
        lm = od.edit_token_mask(128, 64, 96, 112, image_size=256).reshape(1, -1)
        masked = ((1 - lm) * image_tokens + mask_id * lm).astype(np.int32)
        inputs = np.concatenate([[[codes + label]], masked], axis=1).astype(np.int32)
        final, _ = od.decode(jnp.asarray(inputs), jax.random.PRNGKey(seed), tokens_to_logits, mask_token_id=mask_id,
                             num_iter=12, start_iter=2, choice_temperature=4.5, method="cosine")
        cases.append({"kind": "classEdit", "seed": seed, "class": label, "steps": 12, "start": 2,
                      "box": [128, 64, 96, 112], "input": inputs[0, 1:].tolist(),
                      "tokens": np.asarray(final[0, -1, 1:]).tolist()})
    return {"command": f"{COMMAND} decodes-small", "jax": jax.__version__, "maskTokenID": mask_id,
            "config": json.loads(cfg.to_json()),
            "note": "transformer.msgpack beside this file (random weights, numpy seed 20261202); batch 1, "
                    "jax_threefry_partitionable True; 256 image positions, class token 1024+class prepended",
            "cases": cases}


# MARK: - composite


COMPOSITE_CASES = (
    # (image size, (top, left, height, width))
    (64, (20, 12, 24, 30)),
    (64, (0, 0, 20, 64)),
    (256, (15, 15, 18, 18)),
    (256, (64, 48, 100, 120)),
    (256, (200, 0, 56, 90)),
    (512, (128, 64, 256, 288)),
    (512, (0, 300, 512, 212)),
)


def composite_fixture() -> None:
    from PIL import Image

    folder = EDITING_FIXTURES / "official-composite"
    folder.mkdir(parents=True, exist_ok=True)
    cases = []
    for size, box in COMPOSITE_CASES:
        lm = od.edit_token_mask(*box, image_size=size)
        w = od.composite_weight(lm, size)
        name = f"weight-{size}-{'-'.join(map(str, box))}.png"
        Image.fromarray(np.uint8(np.rint(w * 255))).save(folder / name, optimize=True)
        cases.append({"size": size, "box": list(box), "file": name, "tokens": int(lm.sum()),
                      "latentMask": ["".join("1" if v else "0" for v in r) for r in lm.astype(bool)]})
        print("wrote", name)
    # A small whole composite: unclipped outputs blended into an input, float32 result.
    size, box = 64, (20, 12, 24, 30)
    lm = od.edit_token_mask(*box, image_size=size)
    yy, xx = np.mgrid[0:size, 0:size]
    image = np.stack([(xx * 4) % 256, (yy * 4) % 256, ((xx + yy) * 2) % 256], -1).astype(np.uint8)
    outputs = np.stack([np.sin(xx / 5.0) * 0.8 + 0.5, np.cos(yy / 7.0) * 0.8 + 0.5,
                        (xx - yy) / 40.0], -1).astype(np.float32)
    comp = od.composite(image.astype(np.float32) / 255.0, lm, outputs)
    _write_json(folder / "cases.json", {
        "command": f"{COMMAND} composite", "pillow": Image.__version__ if hasattr(Image, "__version__") else "",
        "cases": cases,
        "blend": {"size": size, "box": list(box),
                  "image": "rgb = ((4x) % 256, (4y) % 256, (2(x+y)) % 256) as uint8",
                  "outputs": "float32 (sin(x/5)*0.8+0.5, cos(y/7)*0.8+0.5, (x-y)/40), unclipped",
                  "expectedBytes": np.uint8(np.rint(np.clip(comp, 0, 1) * 255)).ravel().tolist()}})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["schedule", "random", "decodes", "decodes-small", "composite"])
    a = ap.parse_args()
    if a.what == "schedule":
        _write_json(EDITING_FIXTURES / "official-schedule.json", schedule_fixture())
    elif a.what == "random":
        _write_json(EDITING_FIXTURES / "jax-random.json", random_fixture())
    elif a.what == "decodes":
        _write_json(TINY / "official-decodes.json", decodes_fixture())
    elif a.what == "decodes-small":
        _write_json(SMALL / "official-decodes.json", small_decodes_fixture())
    else:
        composite_fixture()


if __name__ == "__main__":
    main()
