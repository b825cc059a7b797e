"""`train-tokenizer`: trains the VQGAN tokenizer (reconstruction + codebook/commitment loss, no GAN).

Loss: MSE + 0.5*L1 + 0.1*gradient(edge) L1 on [0,1] pixels; codebook loss ‖sg(z) − e‖² and
commitment β‖z − sg(e)‖² (β = 0.25); straight-through estimator. Dead-code remedy: every
`restart_every` steps, codes not used during those steps are re-initialised from random encoder
outputs of the current batch (their Adam moments are reset), until 80% of the run. Logs usage and perplexity.
"""
import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from maskgit_flax.vqgan import VQGAN, init_params

from . import common


def make_optimizer(lr, warmup, total, weight_decay=1e-4):
    sched = optax.warmup_cosine_decay_schedule(0.0, lr, warmup, max(total, warmup + 1), lr * 0.1)
    return optax.adamw(sched, b1=0.9, b2=0.99, weight_decay=weight_decay), sched


PRECISIONS = ("fp32", "bf16")


def resolve_precision(precision, backend=None):
    """"auto": bf16 on accelerators, fp32 on CPU (XLA's CPU convolutions gained nothing from bf16 on
    the project's AVX512-BF16 machine: 1.09x the fp32 step time, measured interleaved)."""
    if precision != "auto":
        return precision
    return "fp32" if (backend or jax.default_backend()) == "cpu" else "bf16"


def cast_compute(params, x, precision):
    """Mixed precision: bf16 copies of the encoder/decoder weights and of the input (master weights stay
    float32; gradients flow back through the casts). The codebook and the quantiser's distances stay
    float32 so that the argmin is not changed by rounding. fp32: unchanged."""
    if precision == "fp32":
        return params, x
    if precision != "bf16":
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    p = dict(params)
    for k in ("encoder", "decoder"):
        p[k] = jax.tree_util.tree_map(lambda v: v.astype(jnp.bfloat16), params[k])
    return p, x.astype(jnp.bfloat16)


def loss_fn(params, model, x, beta, precision="fp32", l1_weight=0.5, edge_weight=0.1):
    cp, cx = cast_compute(params, x, precision)
    rec, z, zq, ids = model.apply({"params": cp}, cx)
    rec, z, zq = rec.astype(jnp.float32), z.astype(jnp.float32), zq.astype(jnp.float32)
    mse = jnp.mean((rec - x) ** 2)
    l1 = jnp.mean(jnp.abs(rec - x))
    def grads(a):
        return a[:, 1:, :, :] - a[:, :-1, :, :], a[:, :, 1:, :] - a[:, :, :-1, :]
    gx_r, gy_r = grads(rec)
    gx_x, gy_x = grads(x)
    edge = jnp.mean(jnp.abs(gx_r - gx_x)) + jnp.mean(jnp.abs(gy_r - gy_x))
    codebook = jnp.mean((jax.lax.stop_gradient(z) - zq) ** 2)
    commit = jnp.mean((z - jax.lax.stop_gradient(zq)) ** 2)
    loss = mse + l1_weight * l1 + edge_weight * edge + codebook + beta * commit
    return loss, {"loss": loss, "mse": mse, "l1": l1, "edge": edge, "vq": codebook, "ids": ids,
                  "z": z}


def make_train_step(model, tx, beta, precision="fp32", l1_weight=0.5, edge_weight=0.1):
    @jax.jit
    def step(params, opt_state, x):
        (loss, aux), g = jax.value_and_grad(loss_fn, has_aux=True)(params, model, x, beta, precision,
                                                                   l1_weight, edge_weight)
        updates, opt_state = tx.update(g, opt_state, params)
        params = optax.apply_updates(params, updates)
        return params, opt_state, aux
    return step


def reset_codebook_rows(params, opt_state, rows, new_vectors):
    cb = np.array(params["quantizer"]["codebook"])
    cb[rows] = new_vectors
    params = dict(params)
    params["quantizer"] = {"codebook": jnp.asarray(cb)}

    def fix(path, leaf):
        keys = [getattr(p, "key", getattr(p, "name", None)) for p in path]
        if "quantizer" in keys and "codebook" in keys and hasattr(leaf, "shape") and leaf.ndim == 2:
            arr = np.array(leaf)
            arr[rows] = 0.0
            return jnp.asarray(arr)
        return leaf
    opt_state = jax.tree_util.tree_map_with_path(fix, opt_state)
    return params, opt_state


def _batched(fn, params, xs, batch, prep):
    """np.concatenate of jitted `fn(params, prep(chunk))` over chunks of `batch`."""
    fn = jax.jit(fn)
    return np.concatenate([np.asarray(fn(params, prep(xs[i:i + batch]))) for i in range(0, len(xs), batch)])


def encode_dataset(params, config, images_u8, batch=128):
    """uint8 images -> token ids (N, g, g) int32."""
    model = VQGAN(config)
    enc = lambda p, x: model.apply({"params": p}, x, method=VQGAN.encode)  # noqa: E731
    return _batched(enc, params, images_u8, batch, common.to_float).astype(np.int32)


def reconstruct(params, config, images_u8, batch=128):
    model = VQGAN(config)
    f = lambda p, x: model.apply({"params": p}, model.apply({"params": p}, x, method=VQGAN.encode),  # noqa: E731
                                 method=VQGAN.decode_ids)
    return np.clip(_batched(f, params, images_u8, batch, common.to_float), 0, 1)


def decode_tokens(params, config, ids, batch=128):
    model = VQGAN(config)
    f = lambda p, t: model.apply({"params": p}, t, method=VQGAN.decode_ids)  # noqa: E731
    return np.clip(_batched(f, params, ids, batch, jnp.asarray), 0, 1)


def evaluate(params, config, images_u8, batch=128):
    rec = reconstruct(params, config, images_u8, batch)
    ps = common.psnr(common.to_float(images_u8), rec)
    ids = encode_dataset(params, config, images_u8, batch)
    counts = np.bincount(ids.ravel(), minlength=config.codebook_size)
    p = counts / counts.sum()
    perplexity = float(np.exp(-(p[p > 0] * np.log(p[p > 0])).sum()))
    return {"psnr": float(ps.mean()), "psnr_median": float(np.median(ps)),
            "codes_used": int((counts > 0).sum()), "perplexity": perplexity}


def augment_translate(x, rng, max_shift):
    """Small random translations (white fill). x: (B,H,W,3) float in [0,1]."""
    if max_shift <= 0:
        return x
    b, h, w, _ = x.shape
    pad = np.pad(x, ((0, 0), (max_shift, max_shift), (max_shift, max_shift), (0, 0)), constant_values=1.0)
    dy = rng.integers(0, 2 * max_shift + 1, size=b)
    dx = rng.integers(0, 2 * max_shift + 1, size=b)
    return np.stack([pad[i, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(b)])


def train(data_path, run_dir, config, steps, batch_size=32, lr=1e-3, warmup=200, beta=0.25,
          seed=0, ckpt_every=200, eval_every=500, log_every=10, restart_every=100,
          restart_until=None, max_shift=2, images=None, heldout=None, log=print, precision="fp32",
          l1_weight=0.5, edge_weight=0.1, num_heldout_eval=256):
    """Trains (or resumes) a tokenizer. Returns the final params and last metrics."""
    if images is None:
        d = np.load(data_path)
        images, held = d["images"], d["heldout"]
        heldout = images[held][:num_heldout_eval] if num_heldout_eval else images[held]
        images = images[~held]
    model = VQGAN(config)
    tx, sched = make_optimizer(lr, warmup, steps)
    rng = jax.random.PRNGKey(seed)
    params = init_params(config, rng)
    # Start the output conv's bias at the mean pixel value (mostly white background): faster start.
    last = max((k for k in params["decoder"] if k.startswith("Conv_")), key=lambda k: int(k.split("_")[1]))
    params["decoder"][last]["bias"] = jnp.full((3,), float(np.mean(images[:512]) / 255.0), jnp.float32)
    opt_state = tx.init(params)
    usage = np.zeros(config.codebook_size, np.float64)
    alive_window = config.codebook_size
    state = {"params": params, "opt_state": opt_state, "step": 0, "usage": usage,
             "np_rng": np.zeros(0, np.uint8)}
    common.write_run_config(run_dir, {"network": "vqgan", "config": config.to_dict(), "steps": steps,
                                      "batch_size": batch_size, "lr": lr, "warmup": warmup,
                                      "beta": beta, "seed": seed, "data": data_path,
                                      "restart_every": restart_every, "max_shift": max_shift,
                                      "precision": precision, "l1_weight": l1_weight,
                                      "edge_weight": edge_weight, "backend": jax.default_backend()})
    ck = common.latest_checkpoint(run_dir)
    if ck:
        state = common.restore_checkpoint(ck, state)
        log(f"resumed from {ck} at step {int(state['step'])}")
    # The code-usage counts of the current restart window are in the checkpoint, so a resume between
    # two restarts does not see codes as dead that were used before the checkpoint.
    params, opt_state = state["params"], state["opt_state"]
    usage = np.asarray(state["usage"], np.float64).copy()
    start = int(state["step"])
    np_rng = np.random.default_rng([seed, start])
    train_step = make_train_step(model, tx, beta, precision, l1_weight, edge_weight)
    prog = common.Progress(steps, batch_size, start, log_every)
    restart_until = restart_until if restart_until is not None else int(steps * 0.8)
    metrics = {}
    n = len(images)
    step = start
    for step in range(start + 1, steps + 1):
        idx = np_rng.integers(0, n, size=batch_size)
        x = augment_translate(common.to_float(images[idx]), np_rng, max_shift)
        params, opt_state, aux = train_step(params, opt_state, jnp.asarray(x))
        ids = np.asarray(aux["ids"]).ravel()
        counts = np.bincount(ids, minlength=config.codebook_size)
        usage += counts  # uses within the current restart window
        if restart_every and step % restart_every == 0:
            dead = np.where(usage == 0)[0]
            if len(dead) and step <= restart_until:
                z = np.asarray(aux["z"]).reshape(-1, config.embedding_dim)
                pick = np_rng.integers(0, len(z), size=len(dead))
                new = z[pick] + 0.01 * np_rng.standard_normal((len(dead), config.embedding_dim)) * z.std()
                params, opt_state = reset_codebook_rows(params, opt_state, dead, new)
                log(f"step {step}: restarted {len(dead)} codes unused in the last {restart_every} steps")
            alive_window = int((usage > 0).sum())
            usage = np.zeros_like(usage)
        if step % log_every == 0 or step == steps:
            p = counts / counts.sum()
            perp = float(np.exp(-(p[p > 0] * np.log(p[p > 0])).sum()))
            metrics = {k: float(aux[k]) for k in ("loss", "mse", "l1", "vq")}
            metrics["psnr"] = float(10 * np.log10(1 / max(metrics["mse"], 1e-10)))
            metrics["batch_perplexity"] = perp
            metrics["codes_used_last_window"] = alive_window
            metrics["lr"] = float(sched(step))
            prog.update(step, metrics, force=True)
        if step % ckpt_every == 0 or step == steps:
            common.save_checkpoint(run_dir, step, {"params": params, "opt_state": opt_state, "step": step,
                                                   "usage": usage, "np_rng": np.zeros(0, np.uint8)})
        if heldout is not None and eval_every and (step % eval_every == 0 or step == steps):
            ev = evaluate(params, config, heldout)
            log(f"eval step {step}: " + json.dumps(ev))
            common.append_curve(run_dir, {"step": step, "time": time.time(), **ev})
            metrics.update({"heldout_" + k: v for k, v in ev.items()})
    return params, metrics



def bench(config, precisions=("fp32", "bf16"), batch_size=32, steps=8, seed=0, images=None, lr=1e-3,
          l1_weight=0.5, edge_weight=0.1):
    """Times training steps of each precision, interleaved step by step (so that load from other jobs
    hits both alike), from the same initialisation on the same batches (real images when given).
    Returns one dict per precision: compile seconds, per-step seconds (median and all), the losses
    (to see whether the precision changes the loss curve) and the median step-time ratio to the first."""
    model = VQGAN(config)
    tx, _ = make_optimizer(lr, max(1, steps // 4), 1000)
    params0 = init_params(config, jax.random.PRNGKey(seed))
    rs = np.random.default_rng(seed)
    if images is None:
        batches = [rs.random((batch_size, config.image_size, config.image_size, 3), np.float32)] * (steps + 1)
    else:
        batches = [common.to_float(images[rs.integers(0, len(images), batch_size)]) for _ in range(steps + 1)]
    runs = {}
    for prec in precisions:
        fn = make_train_step(model, tx, 0.25, prec, l1_weight, edge_weight)
        t0 = time.perf_counter()
        p, o, aux = fn(params0, tx.init(params0), jnp.asarray(batches[0]))
        jax.block_until_ready(aux["loss"])
        runs[prec] = {"fn": fn, "p": p, "o": o, "compile": time.perf_counter() - t0, "times": [],
                      "losses": [float(aux["loss"])]}
    for i in range(1, steps + 1):
        for prec in (precisions if i % 2 else precisions[::-1]):
            r = runs[prec]
            t0 = time.perf_counter()
            r["p"], r["o"], aux = r["fn"](r["p"], r["o"], jnp.asarray(batches[i]))
            jax.block_until_ready(aux["loss"])
            r["times"].append(time.perf_counter() - t0)
            r["losses"].append(float(aux["loss"]))
    base = float(np.median(runs[precisions[0]]["times"]))
    out = []
    for prec in precisions:
        r = runs[prec]
        med = float(np.median(r["times"]))
        out.append({"precision": prec, "batch_size": batch_size, "compile_and_first_step_s": round(r["compile"], 2),
                    "step_s_median": round(med, 3), "step_s": [round(t, 3) for t in r["times"]],
                    "images_per_s": round(batch_size / med, 2), "ratio_to_" + precisions[0]: round(med / base, 3),
                    "losses": [round(l, 4) for l in r["losses"]], "backend": jax.default_backend()})
    return out
