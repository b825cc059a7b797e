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
    num_classes: int
    width: int = 16
    feature_dim: int = 128

    @nn.compact
    def __call__(self, x, train=False):
        for i, mult in enumerate((1, 2, 4, 4)):
            x = nn.Conv(self.width * mult, (3, 3))(x)
            x = nn.GroupNorm(num_groups=8)(x)
            x = nn.relu(x)
            x = nn.Conv(self.width * mult, (3, 3))(x)
            x = nn.relu(x)
            x = nn.avg_pool(x, (2, 2), (2, 2))
        x = x.mean(axis=(1, 2))
        feats = nn.relu(nn.Dense(self.feature_dim)(x))
        h = nn.Dropout(0.3)(feats, deterministic=not train)
        return nn.Dense(self.num_classes)(h), feats


def train(data_path, run_dir, steps=1200, batch_size=64, lr=2e-3, seed=0, log_every=50, log=print):
    d = np.load(data_path)
    images, labels, held = d["images"], d["labels"].astype(np.int32), d["heldout"]
    num_classes = len(d["class_names"])
    tr_x, tr_y = images[~held], labels[~held]
    model = Classifier(num_classes)
    params = model.init(jax.random.PRNGKey(seed), jnp.zeros((1,) + images.shape[1:], jnp.float32))["params"]
    warm = min(100, max(1, steps // 10))
    sched = optax.warmup_cosine_decay_schedule(0.0, lr, warm, max(steps, warm + 1), lr * 0.02)
    tx = optax.adamw(sched, weight_decay=1e-4)
    opt_state = tx.init(params)
    state = {"params": params, "opt_state": opt_state, "step": 0}
    common.write_run_config(run_dir, {"network": "classifier", "num_classes": num_classes, "steps": steps,
                                      "batch_size": batch_size, "lr": lr, "seed": seed, "data": data_path})
    ck = common.latest_checkpoint(run_dir)
    if ck:
        state = common.restore_checkpoint(ck, state)
        log(f"resumed from {ck} at step {int(state['step'])}")
    params, opt_state, start = state["params"], state["opt_state"], int(state["step"])

    @jax.jit
    def step_fn(params, opt_state, x, y, rng):
        def lf(p):
            logits, _ = model.apply({"params": p}, x, train=True, rngs={"dropout": rng})
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean(), logits
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
        x = augment_translate(common.to_float(tr_x[idx]), np_rng, 3)
        params, opt_state, loss, acc = step_fn(params, opt_state, jnp.asarray(x), jnp.asarray(tr_y[idx]),
                                               jax.random.fold_in(jax.random.PRNGKey(seed), step))
        if step % log_every == 0 or step == steps:
            prog.update(step, {"loss": float(loss), "acc": float(acc)}, force=True)
        if step % 400 == 0 or step == steps:
            common.save_checkpoint(run_dir, step, {"params": params, "opt_state": opt_state, "step": step})
    acc = accuracy(params, num_classes, images[held], labels[held])
    log(f"classifier held-out accuracy: {acc:.4f} ({int(held.sum())} images)")
    with open(os.path.join(run_dir, "heldout_accuracy.json"), "w") as f:
        json.dump({"heldout_accuracy": acc, "num_heldout": int(held.sum())}, f)
    return params, acc


def load(run_dir):
    state = common.load_params_from_checkpoint(common.latest_checkpoint(run_dir))
    cfg = json.load(open(os.path.join(run_dir, "run_config.json")))
    return jax.tree_util.tree_map(jnp.asarray, state["params"]), cfg["num_classes"]


_apply_cache = {}


def predict(params, num_classes, images, batch=256):
    """images: uint8 or float [0,1] (N,H,W,3) -> (logits, features)."""
    if num_classes not in _apply_cache:
        model = Classifier(num_classes)
        _apply_cache[num_classes] = jax.jit(lambda p, x: model.apply({"params": p}, x))
    f = _apply_cache[num_classes]
    x = common.to_float(images) if np.asarray(images).dtype == np.uint8 else np.asarray(images, np.float32)
    logits, feats = [], []
    for i in range(0, len(x), batch):
        l, h = f(params, jnp.asarray(x[i:i + batch]))
        logits.append(np.asarray(l)); feats.append(np.asarray(h))
    return np.concatenate(logits), np.concatenate(feats)


def accuracy(params, num_classes, images, labels):
    logits, _ = predict(params, num_classes, images)
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
