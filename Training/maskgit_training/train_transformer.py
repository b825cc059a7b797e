"""`tokenize` and `train-transformer`: MaskGIT objective on token grids, class-conditional with a null class.

Per example: r ~ U[0,1), masked count = max(1, floor(cos(pi r / 2) * N)) random positions replaced by
the mask id; cross-entropy (label smoothing 0.1) on masked positions only, over the K image codes.
The class token (id K + label) sits at position 0; with probability `class_dropout` it is the null
class (K + C), which trains the unconditional branch used by classifier-free guidance.
"""
import json
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax

from maskgit_flax.config import Vocabulary
from maskgit_flax.transformer import Transformer, init_params

from . import common

DEFAULT_SHIFTS = ((0, 0), (2, 0), (-2, 0), (0, 2), (0, -2))


def shift_images(images_u8, dy, dx):
    """Translate by (dy, dx) pixels with white fill."""
    if dy == 0 and dx == 0:
        return images_u8
    n, h, w, c = images_u8.shape
    m = max(abs(dy), abs(dx))
    pad = np.pad(images_u8, ((0, 0), (m, m), (m, m), (0, 0)), constant_values=255)
    return pad[:, m - dy:m - dy + h, m - dx:m - dx + w]


def tokenize(data_path, tokenizer_ckpt, out_path, shifts=DEFAULT_SHIFTS, log=print):
    """Encodes every image (and shifted copies, as augmentation) to token grids."""
    from . import train_tokenizer
    from maskgit_flax.config import TokenizerConfig
    state = common.load_params_from_checkpoint(tokenizer_ckpt)
    run_cfg = json.load(open(os.path.join(os.path.dirname(tokenizer_ckpt), "run_config.json")))
    config = TokenizerConfig.from_dict(run_cfg["config"])
    params = jax.tree_util.tree_map(jnp.asarray, state["params"])
    d = np.load(data_path)
    images = d["images"]
    tokens = []
    for k, (dy, dx) in enumerate(shifts):
        tokens.append(train_tokenizer.encode_dataset(params, config, shift_images(images, dy, dx)))
        log(f"tokenize: shift {k + 1}/{len(shifts)} ({dy},{dx}) done")
    tokens = np.stack(tokens, axis=1)  # (N, S, g, g)
    np.savez_compressed(out_path, tokens=tokens, labels=d["labels"], sources=d["sources"],
                        heldout=d["heldout"], class_names=d["class_names"],
                        shifts=np.asarray(shifts, np.int32), codebook_size=config.codebook_size)
    log(f"tokenize: wrote {out_path} tokens {tokens.shape}")
    return tokens


def cosine_mask_count(r, n):
    return jnp.maximum(1, jnp.floor(jnp.cos(jnp.pi / 2 * r) * n)).astype(jnp.int32)


def make_batch_masks(rng, batch, n):
    """Returns (B, n) bool: True where masked."""
    r_rng, p_rng = jax.random.split(rng)
    r = jax.random.uniform(r_rng, (batch,))
    count = cosine_mask_count(r, n)
    scores = jax.random.uniform(p_rng, (batch, n))
    ranks = jnp.argsort(jnp.argsort(scores, axis=-1), axis=-1)
    return ranks < count[:, None]


def loss_fn(params, model, vocab, tokens, labels, rng, class_dropout, label_smoothing, deterministic=False,
            precision="fp32"):
    """precision "bf16": bf16 copies of the weights for the forward/backward pass (float32 master
    weights; LayerNorm statistics and the loss stay float32)."""
    b, n = tokens.shape
    if precision == "bf16":
        params = jax.tree_util.tree_map(lambda v: v.astype(jnp.bfloat16), params)
    elif precision != "fp32":
        raise ValueError(f"precision must be fp32 or bf16, got {precision!r}")
    m_rng, c_rng, d_rng = jax.random.split(rng, 3)
    masked = make_batch_masks(m_rng, b, n)
    inp = jnp.where(masked, vocab.mask_token_id, tokens)
    drop = jax.random.uniform(c_rng, (b,)) < class_dropout
    cls = jnp.where(drop, vocab.null_class_id, vocab.class_offset + labels)
    seq = jnp.concatenate([cls[:, None], inp], axis=1)
    logits = model.apply({"params": params}, seq, deterministic=deterministic, rngs={"dropout": d_rng})
    logits = logits[:, 1:, :vocab.codebook_size].astype(jnp.float32)
    onehot = jax.nn.one_hot(tokens, vocab.codebook_size)
    targets = optax.smooth_labels(onehot, label_smoothing) if label_smoothing else onehot
    ce = optax.softmax_cross_entropy(logits, targets)
    w = masked.astype(jnp.float32)
    loss = jnp.sum(ce * w) / jnp.maximum(jnp.sum(w), 1.0)
    acc = jnp.sum((jnp.argmax(logits, -1) == tokens) * w) / jnp.maximum(jnp.sum(w), 1.0)
    return loss, {"loss": loss, "acc": acc}


def decay_mask(params):
    flat = jax.tree_util.tree_flatten_with_path(params)[0]
    def want(path):
        name = getattr(path[-1], "key", "")
        return name in ("kernel", "embedding")
    return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(params), [want(p) for p, _ in flat])


def make_optimizer(lr, warmup, total, weight_decay):
    sched = optax.warmup_cosine_decay_schedule(0.0, lr, warmup, max(total, warmup + 1), lr * 0.05)
    tx = optax.chain(optax.clip_by_global_norm(1.0),
                     optax.adamw(sched, b1=0.9, b2=0.96, weight_decay=weight_decay, mask=decay_mask))
    return tx, sched


def make_train_step(model, vocab, tx, class_dropout, label_smoothing, precision="fp32"):
    @jax.jit
    def step(params, opt_state, tokens, labels, rng):
        (loss, aux), g = jax.value_and_grad(loss_fn, has_aux=True)(
            params, model, vocab, tokens, labels, rng, class_dropout, label_smoothing, False, precision)
        updates, opt_state = tx.update(g, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, aux
    return step


def make_eval_fn(model, vocab):
    @jax.jit
    def ev(params, tokens, labels, rng):
        return loss_fn(params, model, vocab, tokens, labels, rng, 0.0, 0.0, deterministic=True)[1]
    return ev


def train(tokens_path, run_dir, config, steps, batch_size=64, lr=4e-4, warmup=300, weight_decay=0.045,
          class_dropout=0.1, label_smoothing=0.1, seed=0, ckpt_every=200, eval_every=500,
          log_every=10, data=None, log=print, precision="fp32"):
    if data is None:
        d = np.load(tokens_path)
        data = {k: d[k] for k in ("tokens", "labels", "heldout", "class_names")}
        data["codebook_size"] = int(d["codebook_size"])
    tokens, labels, held = data["tokens"], data["labels"], data["heldout"]
    num_classes = len(data["class_names"])
    vocab = Vocabulary(int(data["codebook_size"]), num_classes)
    assert config.vocab_size == vocab.vocab_size, (config.vocab_size, vocab.vocab_size)
    n_tok = tokens.shape[-1] * tokens.shape[-2]
    assert config.max_position_embeddings == n_tok + 1
    tr_tok = tokens[~held].reshape(-1, tokens.shape[1], n_tok)
    tr_lab = labels[~held].astype(np.int32)
    he_tok = tokens[held][:, 0].reshape(-1, n_tok)
    he_lab = labels[held].astype(np.int32)
    model = Transformer(config)
    tx, sched = make_optimizer(lr, warmup, steps, weight_decay)
    params = init_params(config, jax.random.PRNGKey(seed))
    state = {"params": params, "opt_state": tx.init(params), "step": 0}
    common.write_run_config(run_dir, {"network": "transformer", "config": config.to_dict(),
                                      "vocabulary": vocab.to_dict(),
                                      "class_names": [str(c) for c in data["class_names"]],
                                      "steps": steps, "batch_size": batch_size, "lr": lr, "warmup": warmup,
                                      "weight_decay": weight_decay, "class_dropout": class_dropout,
                                      "label_smoothing": label_smoothing, "seed": seed, "data": tokens_path,
                                      "precision": precision, "backend": jax.default_backend()})
    ck = common.latest_checkpoint(run_dir)
    if ck:
        state = common.restore_checkpoint(ck, state)
        log(f"resumed from {ck} at step {int(state['step'])}")
    params, opt_state, start = state["params"], state["opt_state"], int(state["step"])
    np_rng = np.random.default_rng([seed, start])
    train_step = make_train_step(model, vocab, tx, class_dropout, label_smoothing, precision)
    eval_fn = make_eval_fn(model, vocab)
    prog = common.Progress(steps, batch_size, start, log_every)
    metrics = {}
    for step in range(start + 1, steps + 1):
        idx = np_rng.integers(0, len(tr_tok), size=batch_size)
        var = np_rng.integers(0, tr_tok.shape[1], size=batch_size)
        rng = jax.random.fold_in(jax.random.PRNGKey(seed + 1), step)
        params, opt_state, aux = train_step(params, opt_state, jnp.asarray(tr_tok[idx, var]),
                                            jnp.asarray(tr_lab[idx]), rng)
        if step % log_every == 0 or step == steps:
            metrics = {k: float(v) for k, v in aux.items()}
            metrics["lr"] = float(sched(step))
            prog.update(step, metrics, force=True)
        if step % ckpt_every == 0 or step == steps:
            common.save_checkpoint(run_dir, step, {"params": params, "opt_state": opt_state, "step": step})
        if eval_every and len(he_tok) and (step % eval_every == 0 or step == steps):
            accs, losses = [], []
            for i in range(0, len(he_tok), 256):
                ev = eval_fn(params, jnp.asarray(he_tok[i:i + 256]), jnp.asarray(he_lab[i:i + 256]),
                             jax.random.PRNGKey(1234 + i))
                accs.append(float(ev["acc"])); losses.append(float(ev["loss"]))
            log(f"eval step {step}: heldout masked-token loss={np.mean(losses):.4f} acc={np.mean(accs):.4f}")
            common.append_curve(run_dir, {"step": step, "heldout_loss": float(np.mean(losses)),
                                          "heldout_acc": float(np.mean(accs))})
            metrics["heldout_loss"] = float(np.mean(losses))
    return params, metrics
