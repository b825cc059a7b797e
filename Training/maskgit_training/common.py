"""Checkpointing, progress logging and data helpers shared by the training commands."""
import glob
import json
import os
import sys
import time

import jax
import numpy as np
from flax import serialization


def save_checkpoint(run_dir, step, state, keep=2):
    """state: a pytree (dict) of params/opt_state/rng/... ; written atomically as msgpack."""
    os.makedirs(run_dir, exist_ok=True)
    path = os.path.join(run_dir, f"ckpt_{step:08d}.msgpack")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(serialization.to_bytes(jax.device_get(state)))
    os.replace(tmp, path)
    for old in sorted(glob.glob(os.path.join(run_dir, "ckpt_*.msgpack")))[:-keep]:
        os.remove(old)
    return path


def latest_checkpoint(run_dir):
    paths = sorted(glob.glob(os.path.join(run_dir, "ckpt_*.msgpack")))
    return paths[-1] if paths else None


def restore_checkpoint(path, target):
    with open(path, "rb") as f:
        return serialization.from_bytes(target, f.read())


def load_params_from_checkpoint(path):
    """Params only, without a target (for evaluation/export)."""
    with open(path, "rb") as f:
        state = serialization.msgpack_restore(f.read())
    return state


def append_curve(run_dir, record):
    """One JSON line per evaluation in <run_dir>/curve.jsonl (the training curve survives resumes)."""
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "curve.jsonl"), "a") as f:
        f.write(json.dumps(record) + "\n")


def write_run_config(run_dir, cfg):
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "run_config.json"), "w") as f:
        json.dump(cfg, f, indent=2)


class Progress:
    """Prints step, metrics, images/s and ETA; flushes so `tail -f` of a log works."""

    def __init__(self, total_steps, batch_size, start_step=0, log_every=10, stream=None):
        self.total = total_steps
        self.batch = batch_size
        self.start_step = start_step
        self.log_every = log_every
        self.t0 = time.time()
        self.last_t = self.t0
        self.last_step = start_step
        self.stream = stream or sys.stdout

    def update(self, step, metrics, force=False):
        if not force and step % self.log_every != 0:
            return
        now = time.time()
        dt = max(now - self.last_t, 1e-9)
        ips = (step - self.last_step) * self.batch / dt
        overall = (step - self.start_step) / max(now - self.t0, 1e-9)
        eta = (self.total - step) / overall if overall > 0 else float("nan")
        ms = " ".join(f"{k}={float(v):.4g}" for k, v in metrics.items())
        print(f"step {step}/{self.total} {ms} img/s={ips:.1f} elapsed={now - self.t0:.0f}s "
              f"eta={eta / 60:.1f}min", file=self.stream, flush=True)
        self.last_t, self.last_step = now, step


def psnr(a, b):
    """a, b in [0,1], (..., H, W, C) -> per-image PSNR (dB)."""
    a = np.clip(np.asarray(a, np.float64), 0, 1)
    b = np.clip(np.asarray(b, np.float64), 0, 1)
    mse = ((a - b) ** 2).reshape(a.shape[0], -1).mean(axis=1)
    return 10.0 * np.log10(1.0 / np.maximum(mse, 1e-10))


def to_float(images_u8):
    return np.asarray(images_u8, np.float32) / 255.0
