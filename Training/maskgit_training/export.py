"""`export`: writes the model-file contract (Docs/Checkpoints.md) — safetensors with `__metadata__` —
plus the Flax msgpack form `{"params": tree}` of both networks, and a parity fixture for the engine."""
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization
from safetensors.numpy import load_file, save_file
from safetensors import safe_open

from maskgit_flax import tree
from maskgit_flax.config import TokenizerConfig, TransformerConfig, Vocabulary
from maskgit_flax.transformer import Transformer
from maskgit_flax.vqgan import VQGAN

from . import common

FORMAT = "maskgit-rpc/1"


def tokenizer_metadata(config, description=None, license=None):
    md = {"format": FORMAT, "network": "vqgan", "config": json.dumps(config.to_dict()),
          "image_size": str(config.image_size)}
    if description:
        md["description"] = description
    if license:
        md["license"] = license
    return md


def transformer_metadata(config, vocab, class_names, image_size, description=None, license=None):
    md = {"format": FORMAT, "network": "transformer", "config": json.dumps(config.export_dict()),
          "vocabulary": json.dumps(vocab.to_dict()), "class_names": json.dumps(list(class_names)),
          "image_size": str(image_size)}
    if description:
        md["description"] = description
    if license:
        md["license"] = license
    return md


def save_safetensors(params, path, metadata):
    flat = {k: np.ascontiguousarray(np.asarray(v, np.float32)) for k, v in tree.flatten(params).items()}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    save_file(flat, path, metadata=metadata)


def load_safetensors(path):
    """Returns (param tree, metadata)."""
    with safe_open(path, "np") as f:
        md = f.metadata()
    return tree.unflatten(load_file(path)), md


def save_msgpack(params, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    as_f32 = jax.tree_util.tree_map(lambda v: np.asarray(v, np.float32), params)
    with open(path, "wb") as f:
        f.write(serialization.msgpack_serialize({"params": as_f32}))


def load_run(ckpt_path):
    """Params + run_config from a training checkpoint, or from an exported model file
    (`*.safetensors` of Docs/Checkpoints.md, e.g. Models/default/tokenizer.safetensors): its metadata
    gives the config, vocabulary and class names."""
    if ckpt_path.endswith(".safetensors"):
        params, md = load_safetensors(ckpt_path)
        run_cfg = {"network": md.get("network"), "config": json.loads(md["config"])}
        for k in ("vocabulary", "class_names"):
            if k in md:
                run_cfg[k] = json.loads(md[k])
        return params, run_cfg
    state = common.load_params_from_checkpoint(ckpt_path)
    run_cfg = json.load(open(os.path.join(os.path.dirname(ckpt_path), "run_config.json")))
    return state["params"], run_cfg


def export(tokenizer_ckpt, transformer_ckpt, out_dir, msgpack_dir=None, fixture_dir=None,
           description=None, license=None, log=print):
    tok_params, tok_run = load_run(tokenizer_ckpt)
    tr_params, tr_run = load_run(transformer_ckpt)
    vq_cfg = TokenizerConfig.from_dict(tok_run["config"])
    tr_cfg = TransformerConfig.from_dict(tr_run["config"])
    vocab = Vocabulary(tr_run["vocabulary"]["codebook_size"], tr_run["vocabulary"]["num_classes"])
    assert vocab.codebook_size == vq_cfg.codebook_size
    class_names = tr_run["class_names"]
    tok_path = os.path.join(out_dir, "tokenizer.safetensors")
    tr_path = os.path.join(out_dir, "transformer.safetensors")
    save_safetensors(tok_params, tok_path, tokenizer_metadata(vq_cfg, description, license))
    save_safetensors(tr_params, tr_path, transformer_metadata(tr_cfg, vocab, class_names, vq_cfg.image_size,
                                                              description, license))
    log(f"export: wrote {tok_path} ({os.path.getsize(tok_path) / 1e6:.1f} MB, "
        f"{tree.count_params(tok_params):,} params) and {tr_path} "
        f"({os.path.getsize(tr_path) / 1e6:.1f} MB, {tree.count_params(tr_params):,} params)")
    if msgpack_dir:
        save_msgpack(tok_params, os.path.join(msgpack_dir, "tokenizer.msgpack"))
        save_msgpack(tr_params, os.path.join(msgpack_dir, "transformer.msgpack"))
        log(f"export: wrote Flax msgpack files to {msgpack_dir}")
    # Round trip check.
    for path, params in ((tok_path, tok_params), (tr_path, tr_params)):
        back, _ = load_safetensors(path)
        a, b = tree.flatten(back), tree.flatten(params)
        assert a.keys() == b.keys() and all(np.array_equal(a[k], np.asarray(b[k], np.float32)) for k in a)
    if fixture_dir:
        write_fixture(tok_params, vq_cfg, tr_params, tr_cfg, vocab, fixture_dir, log=log)
    return tok_path, tr_path


def fixture_image(size):
    """A deterministic test image: a smiley-like disc on white (uint8)."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    c = (size - 1) / 2
    img = np.ones((size, size, 3), np.float32)
    disc = (yy - c) ** 2 + (xx - c) ** 2 <= (0.42 * size) ** 2
    img[disc] = (1.0, 0.8, 0.2)
    for ex in (c - 0.15 * size, c + 0.15 * size):
        eye = (yy - (c - 0.1 * size)) ** 2 + (xx - ex) ** 2 <= (0.06 * size) ** 2
        img[eye] = (0.3, 0.2, 0.1)
    mouth = (np.abs(np.hypot(yy - c, xx - c) - 0.25 * size) < 0.03 * size) & (yy > c + 0.05 * size)
    img[mouth] = (0.5, 0.2, 0.1)
    return np.round(img * 255).astype(np.uint8)


def write_fixture(tok_params, vq_cfg, tr_params, tr_cfg, vocab, out_dir, seed=0, log=print):
    """Parity fixture: expected token ids, decoded pixels and transformer logits from the JAX modules."""
    tok_params = jax.tree_util.tree_map(jnp.asarray, tok_params)
    tr_params = jax.tree_util.tree_map(jnp.asarray, tr_params)
    size = vq_cfg.image_size
    g = vq_cfg.grid_size
    image_u8 = fixture_image(size)[None]
    image = image_u8.astype(np.float32) / 255.0
    vq = VQGAN(vq_cfg)
    ids = np.asarray(vq.apply({"params": tok_params}, jnp.asarray(image), method=VQGAN.encode)).astype(np.int32)
    z = np.asarray(vq.apply({"params": tok_params}, jnp.asarray(image), method=VQGAN.encode_z))
    rs = np.random.RandomState(seed)
    grid = rs.randint(0, vocab.codebook_size, size=(1, g, g)).astype(np.int32)
    decoded = np.asarray(vq.apply({"params": tok_params}, jnp.asarray(grid), method=VQGAN.decode_ids))
    recon = np.asarray(vq.apply({"params": tok_params}, jnp.asarray(ids), method=VQGAN.decode_ids))
    # Transformer input: class token of class 0, the encoded grid with every third token masked.
    body = ids.reshape(1, -1).copy()
    body[:, ::3] = vocab.mask_token_id
    seq = np.concatenate([[[vocab.class_offset + 0]], body], 1).astype(np.int32)
    logits = np.asarray(Transformer(tr_cfg).apply({"params": tr_params}, jnp.asarray(seq), deterministic=True))
    seq_null = seq.copy()
    seq_null[0, 0] = vocab.null_class_id
    logits_null = np.asarray(Transformer(tr_cfg).apply({"params": tr_params}, jnp.asarray(seq_null),
                                                       deterministic=True))
    arrays = {"input_image": image.astype(np.float32), "input_image_u8": image_u8,
              "encoder_output": z.astype(np.float32), "token_ids": ids,
              "reconstruction": recon.astype(np.float32),
              "decode_token_grid": grid, "decoded_pixels": decoded.astype(np.float32),
              "transformer_input": seq, "transformer_logits": logits.astype(np.float32),
              "transformer_input_null": seq_null, "transformer_logits_null": logits_null.astype(np.float32)}
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "parity.safetensors")
    save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, path,
              metadata={"description": "maskgit-rpc default model parity fixture (JAX/flax reference)",
                        "pixel_range": "[0,1] float32 NHWC; decoded/reconstruction are unclipped decoder output",
                        "vocabulary": json.dumps(vocab.to_dict())})
    log(f"export: wrote parity fixture {path} ({os.path.getsize(path) / 1e3:.0f} kB)")
    return path
