"""`train-classifier`: a small CNN emoji-group classifier trained on real training images only.

Its held-out accuracy is the ceiling for the accuracy measured on generated samples; its penultimate
(128-d) features define the Fréchet distance used by `evaluate`.
"""
import json
import os

import jax
import jax.numpy as jnp
import flax.linen as nn
import numpy as np
import optax
import scipy.linalg

from . import common
from .train_tokenizer import augment_translate


class Classifier(nn.Module):
    """v1 (`arch` "v1", the default of old run configs): 4 stages of two 3x3 convs at 64x64 input,
    widths 16-64. v2 ("judge"): the image is average-pooled to 32x32 first, widths 32-256 (4x wider for
    about the same cost), and an auxiliary 2-way head predicts the style (Noto / Twemoji)."""
    num_classes: int
    width: int = 16
    feature_dim: int = 128
    mults: tuple = (1, 2, 4, 4)
    pool_input: bool = False
    style_head: bool = False
    num_subgroups: int = 0

    @nn.compact
    def __call__(self, x, train=False):
        if self.pool_input:
            x = nn.avg_pool(x, (2, 2), (2, 2))
        for i, mult in enumerate(self.mults):
            x = nn.Conv(self.width * mult, (3, 3))(x)
            x = nn.GroupNorm(num_groups=8)(x)
            x = nn.relu(x)
            x = nn.Conv(self.width * mult, (3, 3))(x)
            x = nn.relu(x)
            x = nn.avg_pool(x, (2, 2), (2, 2))
        x = x.mean(axis=(1, 2))
        feats = nn.relu(nn.Dense(self.feature_dim)(x))
        h = nn.Dropout(0.3)(feats, deterministic=not train)
        logits = nn.Dense(self.num_classes)(h)
        if self.style_head:
            self.sow("intermediates", "style_logits", nn.Dense(2, name="style_head")(h))
        if self.num_subgroups:
            self.sow("intermediates", "subgroup_logits", nn.Dense(self.num_subgroups, name="subgroup_head")(h))
        return logits, feats


ARCHS = {"v1": {"width": 16, "mults": (1, 2, 4, 4), "pool_input": False, "style_head": False},
         "judge": {"width": 32, "mults": (1, 2, 4, 8), "pool_input": True, "style_head": True}}


def make_classifier(num_classes, arch="v1", num_subgroups=0):
    return Classifier(num_classes, num_subgroups=num_subgroups, **ARCHS[arch])


def subgroup_ids(sequences):
    """Unicode emoji subgroup index of each sequence id ("1f600", "1f44b-1f3fb"; emoji-test.txt order)."""
    from .data import parse_emoji_test
    sub_of = {"-".join("%x" % c for c in cps): sg for cps, _, sg, _ in parse_emoji_test()}
    names = sorted({sub_of[q] for q in sequences})
    return np.asarray([names.index(sub_of[q]) for q in sequences], np.int32), names


def augment_strong(x, rng, max_shift=4, scale=(0.8, 1.12), max_rot_deg=12.0, p_blur=0.35, p_cutout=0.3):
    """Per-image random affine (scale, rotation, translation; white fill), colour jitter (brightness,
    contrast, saturation), Gaussian blur (generated images are softer than real ones) and cutout.
    No flips (flags and text-like symbols). x: (B,H,W,3) float [0,1] -> same shape."""
    import scipy.ndimage as ndi
    b, h, w, _ = x.shape
    out = np.empty_like(x)
    c = np.array([(h - 1) / 2, (w - 1) / 2])
    for i in range(b):
        s = rng.uniform(*scale)
        a = np.deg2rad(rng.uniform(-max_rot_deg, max_rot_deg))
        m = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) / s
        t = rng.uniform(-max_shift, max_shift, 2)
        off = c - m @ (c + t)
        img = np.stack([ndi.affine_transform(x[i, :, :, k], m, offset=off, order=1, mode="constant",
                                             cval=1.0) for k in range(3)], -1)
        if rng.random() < p_blur:
            sig = rng.uniform(0.4, 1.2)
            img = np.stack([ndi.gaussian_filter(img[:, :, k], sig, mode="nearest") for k in range(3)], -1)
        grey = img.mean(-1, keepdims=True)
        img = grey + (img - grey) * rng.uniform(0.8, 1.2)              # saturation
        img = (img - 0.5) * rng.uniform(0.85, 1.15) + 0.5 + rng.uniform(-0.08, 0.08)  # contrast, brightness
        if rng.random() < p_cutout:
            k = int(rng.integers(8, 21))
            y0, x0 = rng.integers(0, h - k), rng.integers(0, w - k)
            img[y0:y0 + k, x0:x0 + k] = rng.choice([1.0, 0.5])
        out[i] = np.clip(img, 0, 1)
    return out


def train(data_path, run_dir, steps=1200, batch_size=64, lr=2e-3, seed=0, log_every=50, log=print,
          arch="v1", augment="translate", style_weight=0.3, label_smoothing=0.0, weight_decay=1e-4,
          ckpt_every=400, eval_every=0, data=None, subgroup_weight=0.0):
    d = np.load(data_path) if data is None else data
    images, labels, held = d["images"], d["labels"].astype(np.int32), d["heldout"]
    sources = d["sources"].astype(np.int32) if "sources" in d else np.zeros(len(labels), np.int32)
    num_classes = len(d["class_names"])
    tr_x, tr_y, tr_s = images[~held], labels[~held], sources[~held]
    if subgroup_weight:
        sub, sub_names = subgroup_ids([str(q) for q in d["sequences"]])
    else:
        sub, sub_names = np.zeros(len(labels), np.int32), []
    tr_sub = sub[~held]
    model = make_classifier(num_classes, arch, len(sub_names))
    use_style = ARCHS[arch]["style_head"]
    params = model.init(jax.random.PRNGKey(seed), jnp.zeros((1,) + images.shape[1:], jnp.float32))["params"]
    warm = min(100, max(1, steps // 10))
    sched = optax.warmup_cosine_decay_schedule(0.0, lr, warm, max(steps, warm + 1), lr * 0.02)
    tx = optax.adamw(sched, weight_decay=weight_decay)
    opt_state = tx.init(params)
    state = {"params": params, "opt_state": opt_state, "step": 0}
    common.write_run_config(run_dir, {"network": "classifier", "num_classes": num_classes, "steps": steps,
                                      "batch_size": batch_size, "lr": lr, "seed": seed, "data": data_path,
                                      "arch": arch, "augment": augment, "style_weight": style_weight,
                                      "label_smoothing": label_smoothing, "weight_decay": weight_decay,
                                      "subgroup_weight": subgroup_weight, "num_subgroups": len(sub_names)})
    ck = common.latest_checkpoint(run_dir)
    if ck:
        state = common.restore_checkpoint(ck, state)
        log(f"resumed from {ck} at step {int(state['step'])}")
    params, opt_state, start = state["params"], state["opt_state"], int(state["step"])

    @jax.jit
    def step_fn(params, opt_state, x, y, style, subg, rng):
        def lf(p):
            (logits, _), inter = model.apply({"params": p}, x, train=True, rngs={"dropout": rng},
                                             mutable=["intermediates"])
            target = optax.smooth_labels(jax.nn.one_hot(y, num_classes), label_smoothing)
            loss = optax.softmax_cross_entropy(logits, target).mean()
            if use_style:
                sl = inter["intermediates"]["style_logits"][0]
                loss = loss + style_weight * optax.softmax_cross_entropy_with_integer_labels(sl, style).mean()
            if sub_names:
                gl = inter["intermediates"]["subgroup_logits"][0]
                loss = loss + subgroup_weight * optax.softmax_cross_entropy_with_integer_labels(gl, subg).mean()
            return loss, logits
        (loss, logits), g = jax.value_and_grad(lf, has_aux=True)(params)
        updates, opt_state = tx.update(g, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss, (logits.argmax(-1) == y).mean()

    # Class-balanced sampling so that People & Body does not dominate.
    w = 1.0 / np.bincount(tr_y, minlength=num_classes)[tr_y]
    w = w / w.sum()
    np_rng = np.random.default_rng([seed, start])
    prog = common.Progress(steps, batch_size, start, log_every)
    for step in range(start + 1, steps + 1):
        idx = np_rng.choice(len(tr_x), size=batch_size, p=w)
        x = common.to_float(tr_x[idx])
        x = augment_strong(x, np_rng) if augment == "strong" else augment_translate(x, np_rng, 3)
        params, opt_state, loss, acc = step_fn(params, opt_state, jnp.asarray(x), jnp.asarray(tr_y[idx]),
                                               jnp.asarray(tr_s[idx]), jnp.asarray(tr_sub[idx]),
                                               jax.random.fold_in(jax.random.PRNGKey(seed), step))
        if step % log_every == 0 or step == steps:
            prog.update(step, {"loss": float(loss), "acc": float(acc)}, force=True)
        if step % ckpt_every == 0 or step == steps:
            common.save_checkpoint(run_dir, step, {"params": params, "opt_state": opt_state, "step": step})
        if eval_every and step % eval_every == 0 and step != steps:
            a = accuracy(params, num_classes, images[held], labels[held], (arch, len(sub_names)))
            log(f"step {step}: held-out accuracy {a:.4f}")
            common.append_curve(run_dir, {"step": step, "heldout_accuracy": a})
    acc = accuracy(params, num_classes, images[held], labels[held], (arch, len(sub_names)))
    log(f"classifier held-out accuracy: {acc:.4f} ({int(held.sum())} images)")
    common.append_curve(run_dir, {"step": steps, "heldout_accuracy": acc})
    with open(os.path.join(run_dir, "heldout_accuracy.json"), "w") as f:
        json.dump({"heldout_accuracy": acc, "num_heldout": int(held.sum()), "steps": steps, "arch": arch}, f)
    return params, acc


def load(run_dir):
    """-> (params, num_classes, arch)."""
    state = common.load_params_from_checkpoint(common.latest_checkpoint(run_dir))
    cfg = json.load(open(os.path.join(run_dir, "run_config.json")))
    arch = cfg.get("arch", "v1")
    if cfg.get("num_subgroups"):
        arch = (arch, cfg["num_subgroups"])
    return jax.tree_util.tree_map(jnp.asarray, state["params"]), cfg["num_classes"], arch


_apply_cache = {}


def predict(params, num_classes, images, arch="v1", batch=256):
    """images: uint8 or float [0,1] (N,H,W,3) -> (logits, features)."""
    key = (num_classes, arch)
    if key not in _apply_cache:
        name, nsub = arch if isinstance(arch, tuple) else (arch, 0)
        model = make_classifier(num_classes, name, nsub)
        _apply_cache[key] = jax.jit(lambda p, x: model.apply({"params": p}, x))
    f = _apply_cache[key]
    x = common.to_float(images) if np.asarray(images).dtype == np.uint8 else np.asarray(images, np.float32)
    logits, feats = [], []
    for i in range(0, len(x), batch):
        l, h = f(params, jnp.asarray(x[i:i + batch]))
        logits.append(np.asarray(l)); feats.append(np.asarray(h))
    return np.concatenate(logits), np.concatenate(feats)


def accuracy(params, num_classes, images, labels, arch="v1"):
    logits, _ = predict(params, num_classes, images, arch)
    return float((logits.argmax(-1) == labels).mean())


def frechet_distance(f1, f2):
    f1, f2 = np.asarray(f1, np.float64), np.asarray(f2, np.float64)
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    covmean, _ = scipy.linalg.sqrtm(s1 @ s2, disp=False)
    if not np.isfinite(covmean).all():
        eps = np.eye(len(s1)) * 1e-6
        covmean = scipy.linalg.sqrtm((s1 + eps) @ (s2 + eps))
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))
