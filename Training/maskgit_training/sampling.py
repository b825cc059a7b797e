"""JAX re-implementation of the official MaskGIT confidence decoder (`parallel_decode.py`).

Cosine schedule; Gumbel choice temperature tau*(1-(t+1)/T); categorical sampling at temperature 1
over the K image codes only; known tokens keep +inf confidence; the returned sequence is the
pre-remask sample of the last iteration. Optional classifier-free guidance with the null class:
logits = l_uncond + (1 + w) * (l_cond - l_uncond) (w = 0: plain conditional decoding).
"""
import functools

import jax
import jax.numpy as jnp
import numpy as np

from maskgit_flax.transformer import Transformer


def cosine_schedule(ratio):
    return jnp.cos(jnp.float32(np.pi / 2) * ratio.astype(jnp.float32))


def mask_by_random_topk(rng, mask_len, probs_log, temperature):
    """Official `mask_by_random_topk`: True where the position is re-masked."""
    confidence = probs_log + temperature * jax.random.gumbel(rng, probs_log.shape)
    sorted_conf = jnp.sort(confidence, axis=-1)
    cut_off = jnp.take_along_axis(sorted_conf, mask_len.astype(jnp.int32), axis=-1)
    return confidence < cut_off


@functools.partial(jax.jit, static_argnames=("config", "codebook_size", "mask_id", "null_id", "num_iter",
                                             "start_iter", "choice_temperature", "guidance"))
def decode(params, inputs, rng, *, config, codebook_size, mask_id, null_id, num_iter=12, start_iter=0,
           choice_temperature=4.5, guidance=0.0):
    """inputs: (B, L) int32, class token at 0, mask_id at unknown positions. Returns (B, L) final tokens."""
    model = Transformer(config)
    unknown0 = jnp.sum(inputs == mask_id, axis=-1, keepdims=True)

    def logits_of(seq):
        lc = model.apply({"params": params}, seq, deterministic=True)[..., :codebook_size]
        if guidance:
            lu = model.apply({"params": params}, seq.at[:, 0].set(null_id), deterministic=True)
            lu = lu[..., :codebook_size]
            lc = lu + (1.0 + guidance) * (lc - lu)
        return lc

    def body(step, carry):
        cur, final, rng = carry
        rng, s_rng, c_rng = jax.random.split(rng, 3)
        logits = logits_of(cur)
        sampled = jax.random.categorical(s_rng, logits, axis=-1).astype(jnp.int32)
        unknown = cur == mask_id
        sampled = jnp.where(unknown, sampled, cur)
        ratio = (step + 1) / num_iter
        mask_ratio = cosine_schedule(jnp.asarray(ratio))
        probs = jax.nn.softmax(logits, axis=-1)
        sel = jnp.take_along_axis(probs, jnp.clip(sampled, 0, codebook_size - 1)[..., None], -1)[..., 0]
        sel = jnp.where(unknown, sel, jnp.inf)
        mask_len = jnp.floor(unknown0 * mask_ratio)
        mask_len = jnp.maximum(1, jnp.minimum(jnp.sum(unknown, axis=-1, keepdims=True) - 1, mask_len))
        masking = mask_by_random_topk(c_rng, mask_len, jnp.log(sel), choice_temperature * (1.0 - ratio))
        cur = jnp.where(masking, mask_id, sampled)
        return cur, sampled, rng

    _, final, _ = jax.lax.fori_loop(start_iter, num_iter, body, (inputs, inputs, rng))
    return final


def generate(params, config, vocab, labels, rng, num_iter=12, choice_temperature=4.5, guidance=0.0):
    """Class-conditional generation: labels (B,) -> token grids (B, gh, gw)."""
    n = config.grid_height * config.grid_width
    labels = np.asarray(labels)
    cls = np.where(labels < 0, vocab.null_class_id, vocab.class_offset + labels)
    seq = np.concatenate([cls[:, None], np.full((len(labels), n), vocab.mask_token_id)], 1).astype(np.int32)
    out = decode(params, jnp.asarray(seq), rng, config=config, codebook_size=vocab.codebook_size,
                 mask_id=vocab.mask_token_id, null_id=vocab.null_class_id, num_iter=num_iter,
                 choice_temperature=choice_temperature, guidance=float(guidance))
    return np.asarray(out[:, 1:]).reshape(len(labels), config.grid_height, config.grid_width)


def edit(params, config, vocab, tokens, token_mask, labels, rng, num_iter=12, start_iter=0,
         choice_temperature=4.5, guidance=0.0):
    """Re-generates the masked tokens. tokens (B,gh,gw), token_mask (B,gh,gw) bool (True = regenerate)."""
    b = tokens.shape[0]
    labels = np.asarray(labels)
    cls = np.where(labels < 0, vocab.null_class_id, vocab.class_offset + labels)
    body = np.where(token_mask, vocab.mask_token_id, tokens).reshape(b, -1)
    seq = np.concatenate([cls[:, None], body], 1).astype(np.int32)
    out = decode(params, jnp.asarray(seq), rng, config=config, codebook_size=vocab.codebook_size,
                 mask_id=vocab.mask_token_id, null_id=vocab.null_class_id, num_iter=num_iter,
                 start_iter=start_iter, choice_temperature=choice_temperature, guidance=float(guidance))
    return np.asarray(out[:, 1:]).reshape(tokens.shape)


def remaining_masked_counts(n, num_iter):
    """Number of tokens still masked after each step (cosine, float32) — official test vector."""
    out, unknown = [], n
    for step in range(num_iter):
        ratio = np.float32(step + 1) / np.float32(num_iter)
        m = int(np.floor(np.float32(n) * np.cos(np.float32(np.pi / 2) * np.float32(ratio), dtype=np.float32)))
        m = max(1, min(unknown - 1, m))
        out.append(m)
        unknown = m
    return out
