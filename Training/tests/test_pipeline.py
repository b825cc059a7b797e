"""Fast tests of the training pipeline: tiny models, a handful of images, no runs/ or data/."""
import glob
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from helpers import blob_images
from maskgit_training import common, data, export, sampling, train_tokenizer, train_transformer
from maskgit_flax import config as C
from maskgit_flax import transformer as T
from maskgit_flax import tree
from maskgit_flax import vqgan as V

HAVE_SYSTEM_DATA = os.path.exists(data.NOTO_PATH) and os.path.exists(data.EMOJI_TEST_PATH)

TINY_VQ = C.TokenizerConfig(filters=8, channel_multipliers=(1, 2), num_res_blocks=1, embedding_dim=8,
                            codebook_size=16, num_groups=4, image_size=16)


def tiny_transformer(codebook_size=16, num_classes=3, grid=4):
    vocab = C.Vocabulary(codebook_size, num_classes)
    cfg = C.TransformerConfig(vocab_size=vocab.vocab_size, hidden_size=32, num_layers=2, num_heads=2,
                              intermediate_size=64, max_position_embeddings=grid * grid + 1,
                              grid_height=grid, grid_width=grid, dropout_rate=0.0)
    return cfg, vocab


def fake_images(n=24, size=16, seed=0):
    return blob_images(n, size, seed)


@pytest.mark.skipif(not HAVE_SYSTEM_DATA, reason="fonts-noto-color-emoji / unicode-data not installed")
def test_prepare_small(tmp_path):
    out = tmp_path / "emoji.npz"
    stats = data.prepare(str(out), size=32, limit=18, log=lambda *a: None)
    d = np.load(out)
    assert d["images"].shape[1:] == (32, 32, 3) and d["images"].dtype == np.uint8
    assert len(d["labels"]) == len(d["sources"]) == len(d["heldout"])
    assert set(d["sources"].tolist()) == {0, 1}  # both styles
    names = list(d["class_names"])
    assert "Component" not in names and "Smileys & Emotion" in names and "Flags" in names
    assert len(names) == 9
    assert stats["num_images"] == len(d["labels"]) and stats["skipped"]["noto"] == 0
    # Every class is represented in the round-robin subset, corners are white background.
    assert len(set(d["labels"].tolist())) == 9
    assert (d["images"][:, 0, 0] == 255).all()


def test_tokenizer_loss_decreases_and_resume(tmp_path):
    imgs = fake_images()
    run = str(tmp_path / "tok")
    kw = dict(batch_size=8, lr=3e-3, warmup=2, ckpt_every=5, eval_every=0, log_every=1, restart_every=5,
              max_shift=0, images=imgs, heldout=imgs[:8], log=lambda *a: None)
    losses = []
    import contextlib, io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        train_tokenizer.train(None, run, TINY_VQ, steps=10, **kw)
    for line in buf.getvalue().splitlines():
        if line.startswith("step "):
            losses.append(float(line.split("loss=")[1].split()[0]))
    assert len(losses) == 10 and np.mean(losses[-3:]) < np.mean(losses[:3])
    assert common.latest_checkpoint(run).endswith("ckpt_00000010.msgpack")
    # Resume: the step counter continues from the checkpoint.
    logs = []
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        train_tokenizer.train(None, run, TINY_VQ, steps=13, **dict(kw, log=logs.append))
    assert any("resumed" in l and "step 10" in l for l in logs)
    steps = [int(l.split()[1].split("/")[0]) for l in buf.getvalue().splitlines() if l.startswith("step ")]
    assert steps == [11, 12, 13]
    assert common.latest_checkpoint(run).endswith("ckpt_00000013.msgpack")
    ev = train_tokenizer.evaluate(common.load_params_from_checkpoint(common.latest_checkpoint(run))["params"],
                                  TINY_VQ, imgs[:8])
    assert 0 < ev["codes_used"] <= TINY_VQ.codebook_size and np.isfinite(ev["psnr"])


def test_resblock_quirk():
    """Channel change: out = h + Conv1x1(h) on the block's own output."""
    blk = V.ResBlock(8, num_groups=4)
    x = jax.random.normal(jax.random.PRNGKey(0), (1, 4, 4, 4))
    p = blk.init(jax.random.PRNGKey(1), x)["params"]
    out = blk.apply({"params": p}, x)
    assert p["Conv_2"]["kernel"].shape == (1, 1, 8, 8)
    import flax.linen as nn
    h = nn.GroupNorm(4, epsilon=1e-6).apply({"params": p["GroupNorm_0"]}, x)
    h = nn.Conv(8, (3, 3), use_bias=False).apply({"params": p["Conv_0"]}, V.swish(h))
    h = nn.GroupNorm(4, epsilon=1e-6).apply({"params": p["GroupNorm_1"]}, h)
    h = nn.Conv(8, (3, 3), use_bias=False).apply({"params": p["Conv_1"]}, V.swish(h))
    ref = h + nn.Conv(8, (1, 1), use_bias=False).apply({"params": p["Conv_2"]}, h)
    np.testing.assert_allclose(out, ref, atol=1e-5)


def structured_tokens(n, grid, codebook, num_classes, seed=0):
    """Token grids with learnable structure: each class paints a fixed pattern plus noise."""
    rs = np.random.RandomState(seed)
    base = rs.randint(0, codebook, size=(num_classes, grid, grid))
    labels = rs.randint(0, num_classes, size=n)
    toks = base[labels].copy()
    noise = rs.rand(n, grid, grid) < 0.1
    toks[noise] = rs.randint(0, codebook, size=noise.sum())
    return toks.astype(np.int32), labels.astype(np.int32)


def test_transformer_loss_decreases_and_resume(tmp_path):
    cfg, vocab = tiny_transformer()
    toks, labels = structured_tokens(64, 4, 16, 3)
    data_ = {"tokens": toks[:, None], "labels": labels, "heldout": np.arange(64) < 8,
             "class_names": np.asarray(["a", "b", "c"]), "codebook_size": 16}
    import contextlib, io
    buf = io.StringIO()
    run = str(tmp_path / "tr")
    kw = dict(batch_size=16, lr=3e-3, warmup=2, ckpt_every=10, eval_every=0, log_every=1, data=data_,
              label_smoothing=0.0, log=lambda *a: None)
    with contextlib.redirect_stdout(buf):
        train_transformer.train(None, run, cfg, steps=30, **kw)
    losses = [float(l.split("loss=")[1].split()[0]) for l in buf.getvalue().splitlines() if l.startswith("step ")]
    assert np.mean(losses[-5:]) < np.mean(losses[:5]) - 0.2
    logs = []
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        train_transformer.train(None, run, cfg, steps=32, **dict(kw, log=logs.append))
    assert any("resumed" in l and "step 30" in l for l in logs)
    steps = [int(l.split()[1].split("/")[0]) for l in buf.getvalue().splitlines() if l.startswith("step ")]
    assert steps == [31, 32]


def test_mask_schedule_vectors():
    assert sampling.remaining_masked_counts(256, 8) == [251, 236, 212, 181, 142, 97, 49, 1]
    assert sampling.remaining_masked_counts(256, 12) == [253, 247, 236, 221, 203, 181, 155, 127, 97, 66, 33, 1]
    assert sampling.remaining_masked_counts(1024, 12)[7] == 511


def test_training_mask_counts():
    m = np.asarray(train_transformer.make_batch_masks(jax.random.PRNGKey(0), 512, 64))
    counts = m.sum(1)
    assert counts.min() >= 1 and counts.max() <= 64
    assert 0.55 < counts.mean() / 64 < 0.72  # E[cos(pi r/2)] = 2/pi ~ 0.64


def test_decode_keeps_known_tokens():
    cfg, vocab = tiny_transformer()
    params = T.init_params(cfg, jax.random.PRNGKey(0))
    toks = np.random.RandomState(0).randint(0, 16, size=(2, 4, 4)).astype(np.int32)
    mask = np.zeros((2, 4, 4), bool)
    mask[:, 1:3, 1:3] = True
    out = sampling.edit(params, cfg, vocab, toks, mask, np.array([0, 1]), jax.random.PRNGKey(1), num_iter=4)
    assert out.shape == toks.shape and (out[~mask] == toks[~mask]).all()
    assert (out >= 0).all() and (out < vocab.codebook_size).all()
    gen = sampling.generate(params, cfg, vocab, np.array([0, 2, -1]), jax.random.PRNGKey(2), num_iter=5,
                            guidance=1.0)
    assert gen.shape == (3, 4, 4) and (gen < vocab.codebook_size).all()


def test_export_round_trip(tmp_path):
    tok_params = V.init_params(TINY_VQ, jax.random.PRNGKey(0))
    cfg, vocab = tiny_transformer(codebook_size=TINY_VQ.codebook_size)
    tr_params = T.init_params(cfg, jax.random.PRNGKey(1))
    # Fake training runs, as written by the training commands.
    tok_run, tr_run = tmp_path / "tok", tmp_path / "tr"
    common.write_run_config(str(tok_run), {"network": "vqgan", "config": TINY_VQ.to_dict()})
    common.save_checkpoint(str(tok_run), 1, {"params": tok_params, "step": 1})
    common.write_run_config(str(tr_run), {"network": "transformer", "config": cfg.to_dict(),
                                          "vocabulary": vocab.to_dict(), "class_names": ["a", "b", "c"]})
    common.save_checkpoint(str(tr_run), 1, {"params": tr_params, "step": 1})
    out = tmp_path / "model"
    export.export(common.latest_checkpoint(str(tok_run)), common.latest_checkpoint(str(tr_run)), str(out),
                  msgpack_dir=str(tmp_path / "msgpack"), fixture_dir=str(tmp_path / "fixture"),
                  log=lambda *a: None)
    back, md = export.load_safetensors(str(out / "tokenizer.safetensors"))
    assert md["format"] == "maskgit-rpc/1" and md["network"] == "vqgan" and md["image_size"] == "16"
    c = json.loads(md["config"])
    assert set(c) == {"filters", "channel_multipliers", "num_res_blocks", "embedding_dim", "codebook_size",
                      "num_groups", "image_size"}
    fa, fb = tree.flatten(back), tree.flatten(tok_params)
    assert fa.keys() == fb.keys()
    assert all(np.array_equal(fa[k], np.asarray(fb[k])) for k in fa)
    assert "encoder/Conv_0/kernel" in fa and "quantizer/codebook" in fa and fa["decoder/Conv_2/kernel"].shape == (3, 3, 8, 3)
    back, md = export.load_safetensors(str(out / "transformer.safetensors"))
    assert md["network"] == "transformer"
    v = json.loads(md["vocabulary"])
    assert v == {"codebook_size": 16, "class_offset": 16, "num_classes": 3, "null_class_id": 19,
                 "mask_token_id": 20, "vocab_size": 21}
    assert json.loads(md["class_names"]) == ["a", "b", "c"]
    c = json.loads(md["config"])
    assert c["max_position_embeddings"] == 17 and c["layer_norm_eps"] == 1e-12 and c["vocab_size"] == 21
    assert "dropout_rate" not in c
    fa = tree.flatten(back)
    assert "TransformerLayer_1/Attention_0/self_attention/query/kernel" in fa
    assert fa["TransformerLayer_1/Attention_0/self_attention/query/kernel"].shape == (32, 2, 16)
    assert fa["MlmLayer_0/mlm_bias/bias"].shape == (21,)
    # Flax msgpack form reloads to the same tree.
    from flax import serialization
    mp = serialization.msgpack_restore(open(tmp_path / "msgpack" / "transformer.msgpack", "rb").read())
    assert set(tree.flatten(mp["params"])) == set(fa)
    # Parity fixture: the exported weights reproduce the stored logits.
    from safetensors.numpy import load_file
    fx = load_file(str(tmp_path / "fixture" / "parity.safetensors"))
    logits = T.Transformer(cfg).apply({"params": back}, jnp.asarray(fx["transformer_input"]))
    np.testing.assert_allclose(np.asarray(logits), fx["transformer_logits"], rtol=1e-5, atol=1e-5)
    assert fx["token_ids"].shape == (1, 8, 8) and fx["decoded_pixels"].shape == (1, 16, 16, 3)
