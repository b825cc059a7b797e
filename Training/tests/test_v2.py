"""Fast tests of the v2 pipeline pieces: f=4 grid, bf16 mixed precision, timing bench, judge classifier,
strong augmentation, evaluation from exported model files, the resumable v2 script."""
import json
import os
import subprocess

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from helpers import blob_images
from maskgit_training import classifier, common, export, train_tokenizer
from maskgit_flax import config as C
from maskgit_flax import transformer as T
from maskgit_flax import tree
from maskgit_flax import vqgan as V

F4 = C.TokenizerConfig(filters=8, channel_multipliers=(1, 2, 4), num_res_blocks=1, embedding_dim=8,
                       codebook_size=16, num_groups=4, image_size=16)


def blobs(n=16, size=16, seed=0):
    return blob_images(n, size, seed)


def test_f4_grid_matches_engine_inference_rule():
    """Three levels -> factor 4, a 4x4 grid at 16 px; the decoder has levels + 1 convs (the rule the
    Swift VQGANConfig.infer uses) and ResBlock_(level*blocks) carries the level's channel count."""
    assert F4.downsample_factor == 4 and F4.grid_size == 4
    p = V.init_params(F4, jax.random.PRNGKey(0))
    f = tree.flatten(p)
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
    assert train_tokenizer.resolve_precision("auto", "cpu") == "fp32"
    assert train_tokenizer.resolve_precision("auto", "gpu") == "bf16"
    assert train_tokenizer.resolve_precision("bf16", "cpu") == "bf16"
    with pytest.raises(ValueError):
        train_tokenizer.cast_compute(p, x, "fp8")
    r = train_tokenizer.bench(F4, ("fp32", "bf16"), batch_size=4, steps=2, images=blobs())
    assert [x["precision"] for x in r] == ["fp32", "bf16"] and r[0]["ratio_to_fp32"] == 1.0
    assert all(len(x["step_s"]) == 2 and len(x["losses"]) == 3 and np.isfinite(x["losses"]).all() for x in r)
    assert r[0]["losses"][0] != r[1]["losses"][0]


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
    lt, ft = classifier.predict(params, nc, imgs[:12], arch, tta=True)
    np.testing.assert_array_equal(ft, feats)
    assert lt.shape == (12, 3) and np.allclose(np.exp(lt).sum(-1), 1.0, atol=0.2)
    sh = classifier.shift_float(common.to_float(imgs[:1]), 2, 0)
    np.testing.assert_array_equal(sh[0, 2:], common.to_float(imgs[0, :-2])) and (sh[0, :2] == 1).all()


def test_load_run_from_exported_model_files(tmp_path):
    tok = V.init_params(F4, jax.random.PRNGKey(0))
    vocab = C.Vocabulary(16, 3)
    cfg = C.TransformerConfig(vocab_size=vocab.vocab_size, hidden_size=32, num_layers=1, num_heads=2,
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


def test_transformer_bf16_loss_close_to_fp32():
    vocab = C.Vocabulary(16, 3)
    cfg = C.TransformerConfig(vocab_size=vocab.vocab_size, hidden_size=32, num_layers=1, num_heads=2,
                              intermediate_size=64, max_position_embeddings=17, grid_height=4, grid_width=4,
                              dropout_rate=0.0)
    p = T.init_params(cfg, jax.random.PRNGKey(0))
    from maskgit_training import train_transformer as TT
    toks = jnp.asarray(np.random.RandomState(0).randint(0, 16, (8, 16)), jnp.int32)
    lab = jnp.zeros((8,), jnp.int32)
    args = (p, T.Transformer(cfg), vocab, toks, lab, jax.random.PRNGKey(1), 0.1, 0.0, True)
    l32, _ = TT.loss_fn(*args, precision="fp32")
    l16, _ = TT.loss_fn(*args, precision="bf16")
    assert l16.dtype == jnp.float32 and float(l16) != float(l32)
    np.testing.assert_allclose(float(l16), float(l32), rtol=0.03)


HAVE_EMOJI_TEST = os.path.exists("/usr/share/unicode/emoji/emoji-test.txt")


@pytest.mark.skipif(not HAVE_EMOJI_TEST, reason="unicode-data not installed")
def test_subgroup_ids():
    ids, names = classifier.subgroup_ids(["1f600", "1f603", "1f436", "1f600"])
    assert names == sorted(names) and len(names) == 2 and ids[0] == ids[1] == ids[3] != ids[2]


def test_evaluate_exported_model_with_judge(tmp_path):
    """`evaluate` end to end on exported (safetensors) tiny models and a judge classifier."""
    from maskgit_training import evaluate
    size, n = 32, 24
    rs = np.random.RandomState(0)
    labels = np.arange(n) % 3
    imgs = np.full((n, size, size, 3), 255, np.uint8)
    for i, c in enumerate(labels):
        imgs[i, 8:24, 8:24] = [(255, 0, 0), (0, 160, 0), (0, 0, 255)][c]
    held = np.arange(n) >= 12
    np.savez(tmp_path / "d.npz", images=imgs, labels=labels.astype(np.int32), heldout=held,
             sources=(np.arange(n) // 3 % 2).astype(np.int8), class_names=np.asarray(["r", "g", "b"]))
    vq = C.TokenizerConfig(filters=8, channel_multipliers=(1, 2, 4), num_res_blocks=1, embedding_dim=8,
                           codebook_size=16, num_groups=4, image_size=size)
    vocab = C.Vocabulary(16, 3)
    cfg = C.TransformerConfig(vocab_size=vocab.vocab_size, hidden_size=32, num_layers=1, num_heads=2,
                              intermediate_size=64, max_position_embeddings=65, grid_height=8, grid_width=8)
    export.save_safetensors(V.init_params(vq, jax.random.PRNGKey(0)), str(tmp_path / "tok.safetensors"),
                            export.tokenizer_metadata(vq))
    export.save_safetensors(T.init_params(cfg, jax.random.PRNGKey(1)), str(tmp_path / "tr.safetensors"),
                            export.transformer_metadata(cfg, vocab, ["r", "g", "b"], size))
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()):
        classifier.train(str(tmp_path / "d.npz"), str(tmp_path / "judge"), steps=3, batch_size=8, arch="judge",
                         log=lambda *a: None)
    res = evaluate.evaluate(str(tmp_path / "tok.safetensors"), str(tmp_path / "tr.safetensors"),
                            str(tmp_path / "d.npz"), str(tmp_path / "judge"), str(tmp_path / "m.json"),
                            per_class=2, num_iter=2, guidance=2.0, log=lambda *a: None)
    assert res["classifier"]["arch"] == "judge" and res["samples"]["num"] == 6
    assert "centre 4x4 of 8x8 tokens (16 px square)" in res["inpainting"]["mask"]
    assert np.isfinite(res["frechet_distance_vs_heldout"]["generated"])
    assert json.load(open(tmp_path / "m.json"))["num_heldout"] == 12
