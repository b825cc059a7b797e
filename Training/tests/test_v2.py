"""Fast tests of the v2 pipeline pieces: f=4 grid, bf16 mixed precision, timing bench, judge classifier,
strong augmentation, evaluation from exported model files, the resumable v2 script."""
import json
import os
import subprocess

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from maskgit_training import classifier, common, export, train_tokenizer, treeutil
from maskgit_training import transformer as T
from maskgit_training import vqgan as V

F4 = V.VQGANConfig(filters=8, channel_multipliers=(1, 2, 4), num_res_blocks=1, embedding_dim=8,
                   codebook_size=16, num_groups=4, image_size=16)


def blobs(n=16, size=16, seed=0):
    rs = np.random.RandomState(seed)
    imgs = np.full((n, size, size, 3), 255, np.uint8)
    for i in range(n):
        y, x = rs.randint(0, size // 2, 2)
        imgs[i, y:y + size // 2, x:x + size // 2] = rs.randint(0, 255, 3)
    return imgs


def test_f4_grid_matches_engine_inference_rule():
    """Three levels -> factor 4, a 4x4 grid at 16 px; the decoder has levels + 1 convs (the rule the
    Swift VQGANConfig.infer uses) and ResBlock_(level*blocks) carries the level's channel count."""
    assert F4.downsample_factor == 4 and F4.grid_size == 4
    p = V.init_params(F4, jax.random.PRNGKey(0))
    f = treeutil.flatten(p)
    dec_convs = {k.split("/")[1] for k in f if k.startswith("decoder/Conv_")}
    assert len(dec_convs) == len(F4.channel_multipliers) + 1
    enc_blocks = {k.split("/")[1] for k in f if k.startswith("encoder/ResBlock_")}
    assert len(enc_blocks) == (len(F4.channel_multipliers) + 1) * F4.num_res_blocks
    for level, m in enumerate(F4.channel_multipliers):
        assert f[f"encoder/ResBlock_{level}/Conv_0/kernel"].shape[3] == F4.filters * m
    ids = V.VQGAN(F4).apply({"params": p}, jnp.zeros((2, 16, 16, 3)), method=V.VQGAN.encode)
    assert ids.shape == (2, 4, 4)


def test_bf16_loss_close_to_fp32_and_trains():
    p = V.init_params(F4, jax.random.PRNGKey(0))
    x = jnp.asarray(common.to_float(blobs()))
    model = V.VQGAN(F4)
    l32, a32 = train_tokenizer.loss_fn(p, model, x, 0.25, "fp32")
    l16, a16 = train_tokenizer.loss_fn(p, model, x, 0.25, "bf16")
    assert a16["mse"].dtype == jnp.float32
    np.testing.assert_allclose(float(l16), float(l32), rtol=0.05)
    assert float(l16) != float(l32)  # the bf16 path really computes in bf16
    cp, cx = train_tokenizer.cast_compute(p, x, "bf16")
    assert cx.dtype == jnp.bfloat16 and cp["encoder"]["Conv_0"]["kernel"].dtype == jnp.bfloat16
    assert cp["quantizer"]["codebook"].dtype == jnp.float32
    with pytest.raises(ValueError):
        train_tokenizer.cast_compute(p, x, "fp8")
    r = train_tokenizer.bench(F4, "bf16", batch_size=4, steps=2)
    assert r["precision"] == "bf16" and len(r["step_s"]) == 2 and np.isfinite(r["loss_after"])


def test_bf16_training_resumes_and_writes_curve(tmp_path):
    imgs = blobs(24)
    run = str(tmp_path / "tok")
    kw = dict(batch_size=8, lr=3e-3, warmup=2, ckpt_every=3, eval_every=3, log_every=1, restart_every=6,
              max_shift=0, images=imgs, heldout=imgs[:8], log=lambda *a: None, precision="bf16",
              edge_weight=0.2)
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()):
        train_tokenizer.train(None, run, F4, steps=4, **kw)
        train_tokenizer.train(None, run, F4, steps=6, **kw)
    curve = [json.loads(l) for l in open(os.path.join(run, "curve.jsonl"))]
    assert [c["step"] for c in curve] == [3, 4, 6] and all(np.isfinite(c["psnr"]) for c in curve)
    cfg = json.load(open(os.path.join(run, "run_config.json")))
    assert cfg["precision"] == "bf16" and cfg["edge_weight"] == 0.2
    st = common.load_params_from_checkpoint(common.latest_checkpoint(run))
    assert int(st["step"]) == 6


def test_strong_augment():
    x = common.to_float(blobs(6, 32))
    a = classifier.augment_strong(x, np.random.default_rng(0))
    b = classifier.augment_strong(x, np.random.default_rng(0))
    assert a.shape == x.shape and a.min() >= 0 and a.max() <= 1
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - x).mean() > 0.01


def test_judge_classifier_trains_loads_and_predicts(tmp_path):
    rs = np.random.RandomState(0)
    n, size = 48, 32
    labels = rs.randint(0, 3, n)
    imgs = np.full((n, size, size, 3), 255, np.uint8)
    for i, c in enumerate(labels):  # each class is one colour
        imgs[i, 8:24, 8:24] = [(255, 0, 0), (0, 160, 0), (0, 0, 255)][c]
    data = {"images": imgs, "labels": labels, "heldout": np.arange(n) < 12, "sources": rs.randint(0, 2, n),
            "class_names": np.asarray(["r", "g", "b"])}
    run = str(tmp_path / "judge")
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()):
        _, acc = classifier.train(None, run, steps=60, batch_size=16, lr=5e-3, arch="judge",
                                  augment="translate", label_smoothing=0.1, log=lambda *a: None, data=data)
    params, nc, arch = classifier.load(run)
    assert nc == 3 and arch == "judge"
    logits, feats = classifier.predict(params, nc, imgs[:12], arch)
    assert logits.shape == (12, 3) and feats.shape == (12, 128)
    assert acc == classifier.accuracy(params, nc, imgs[:12], labels[:12], arch) and acc >= 0.75
    assert "style_head" in params


def test_load_run_from_exported_model_files(tmp_path):
    tok = V.init_params(F4, jax.random.PRNGKey(0))
    vocab = T.Vocabulary(16, 3)
    cfg = T.TransformerConfig(vocab_size=vocab.vocab_size, hidden_size=32, num_layers=1, num_heads=2,
                              intermediate_size=64, max_position_embeddings=17, grid_height=4, grid_width=4)
    tr = T.init_params(cfg, jax.random.PRNGKey(1))
    export.save_safetensors(tok, str(tmp_path / "tokenizer.safetensors"), export.tokenizer_metadata(F4))
    export.save_safetensors(tr, str(tmp_path / "transformer.safetensors"),
                            export.transformer_metadata(cfg, vocab, ["a", "b", "c"], 16))
    from maskgit_training import evaluate
    tp, vq, trp, trc, v, names = evaluate.load_models(str(tmp_path / "tokenizer.safetensors"),
                                                      str(tmp_path / "transformer.safetensors"))
    assert vq == F4 and trc.grid_height == 4 and v.to_dict() == vocab.to_dict() and names == ["a", "b", "c"]


def test_v2_script_rejects_unknown_stage():
    script = os.path.join(os.path.dirname(__file__), "..", "scripts", "train_v2.sh")
    r = subprocess.run(["bash", script, "no-such-stage"], capture_output=True, text=True)
    assert r.returncode == 2 and "unknown stage" in r.stderr
