"""A JAX twin of the official MaskGIT decoding and editing layer, for parity fixtures.

Written from `maskgit-reference.md` §1.4-1.5 (the algorithm of `libml/mask_schedule.py`,
`libml/parallel_decode.py` and `inference.py`), with the same JAX calls in the same order so
that the pinned JAX (and its `jax.jit` / XLA CPU compilation) computes what the official code
computes:

* `schedule(ratio, total_unknown, method)`: the mask-ratio functions, clipped to [1e-6, 1].
* `decode(inputs, rng, tokens_to_logits, ...)`: the iterative decode under `lax.while_loop`
  inside `jax.jit`: per step `rng, sample_rng = split(rng, 2)`, `categorical(sample_rng,
  logits)`, the schedule at ratio (step+1)/num_iter, `log(softmax[sampled])` (+inf at known
  positions) + temperature*(1-ratio)*gumbel(choice_rng) with `rng, choice_rng = split(rng)`,
  cut-off at sorted index mask_len. Returns `final_seqs` [B, num_iter, L] like the official
  code, plus each step's clamped `mask_len` (for the schedule fixture).
* `edit_token_mask(bbox, image_size, stride)`: the latent mask of the class-editing recipe.
* `composite(image, latent_mask, outputs)`: the official pixel composite with Pillow (bicubic
  resize of the uint8 latent mask, `GaussianBlur(S//16 - 1)`), blending the unclipped output.

The `jax_threefry_partitionable` flag is whatever the caller configured (JAX 0.10 default: True).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

METHODS = ("uniform", "pow2", "pow3", "cosine", "log", "exp")
CONFIDENCE_OF_KNOWN = jnp.inf


def schedule(ratio, total_unknown, method="cosine"):
    """gamma(ratio) for the official method names, clipped to [1e-6, 1]."""
    if method == "uniform":
        mask_ratio = 1.0 - ratio
    elif method.startswith("pow"):
        mask_ratio = 1.0 - ratio ** float(method[3:])
    elif method == "cosine":
        mask_ratio = jax.lax.cos(math.pi / 2.0 * ratio)
    elif method == "log":
        mask_ratio = -jnp.log2(ratio) / jnp.log2(total_unknown)
    elif method == "exp":
        mask_ratio = 1 - jnp.exp2(-jnp.log2(total_unknown) * (1 - ratio))
    else:
        raise ValueError(method)
    return jnp.clip(mask_ratio, 1e-6, 1.0)


def _mask_by_random_topk(rng, mask_len, probs, temperature):
    confidence = jnp.log(probs) + temperature * jax.random.gumbel(rng, probs.shape)
    sorted_confidence = jnp.sort(confidence, axis=-1)
    cut_off = jnp.take_along_axis(sorted_confidence, mask_len.astype(jnp.int32), axis=-1)
    return confidence < cut_off


@functools.partial(jax.jit, static_argnames=("tokens_to_logits", "mask_token_id", "num_iter",
                                              "start_iter", "choice_temperature", "method"))
def decode(inputs, rng, tokens_to_logits, mask_token_id, num_iter=12, start_iter=0,
           choice_temperature=4.5, method="cosine"):
    """Returns (final_seqs [B, num_iter, L], mask_len [B, num_iter]): mask_len is the clamped
    number of tokens the official step asks to keep masked (0 before start_iter)."""
    inputs = inputs.astype("int32")
    unknown_number_in_the_beginning = jnp.sum(inputs == mask_token_id, axis=-1)
    b, length = inputs.shape
    final0 = jnp.tile(jnp.expand_dims(inputs, 1), (1, num_iter, 1))
    counts0 = jnp.zeros((b, num_iter), jnp.int32)
    state0 = (jnp.array(start_iter), inputs, rng, final0, counts0)

    def cond(state):
        return state[0] < num_iter

    def body(state):
        step, cur_ids, rng, final_seqs, counts = state
        logits = tokens_to_logits(cur_ids)
        rng, sample_rng = jax.random.split(rng, 2)
        sampled_ids = jax.random.categorical(sample_rng, logits)
        unknown_map = cur_ids == mask_token_id
        sampled_ids = jnp.where(unknown_map, sampled_ids, cur_ids)
        ratio = 1.0 * (step + 1) / num_iter
        mask_ratio = schedule(ratio, unknown_number_in_the_beginning, method)
        final_seqs = jax.lax.dynamic_update_slice(final_seqs, jnp.expand_dims(sampled_ids, 1), (0, step, 0))
        probs = jax.nn.softmax(logits, axis=-1)
        selected_probs = jnp.squeeze(
            jnp.take_along_axis(probs, jnp.expand_dims(sampled_ids.astype(jnp.int32), -1), -1), -1)
        selected_probs = jnp.where(unknown_map, selected_probs, CONFIDENCE_OF_KNOWN)
        mask_len = jnp.expand_dims(jnp.floor(unknown_number_in_the_beginning * mask_ratio), 1)
        mask_len = jnp.maximum(1, jnp.minimum(jnp.sum(unknown_map, axis=-1, keepdims=True) - 1, mask_len))
        rng, choice_rng = jax.random.split(rng)
        masking = _mask_by_random_topk(choice_rng, mask_len, selected_probs,
                                       choice_temperature * (1.0 - ratio))
        sampled_ids = jnp.where(masking, mask_token_id, sampled_ids)
        counts = jax.lax.dynamic_update_slice(counts, mask_len.astype(jnp.int32), (0, step))
        return (step + 1, sampled_ids, rng, final_seqs, counts)

    _, _, _, final_seqs, counts = jax.lax.while_loop(cond, body, state0)
    return final_seqs, counts


def edit_token_mask(top: int, left: int, height: int, width: int, image_size: int, stride: int = 16):
    """The latent mask [G, G] (float 0/1) of the official class-editing recipe for a pixel bbox."""
    g = image_size // stride
    m = np.zeros((g, g))
    t = max(0, top // stride - 1)
    b = min(g, height // stride + top // stride + 1)
    l = max(0, left // stride - 1)
    r = min(g, left // stride + width // stride + 1)
    m[t:b, l:r] = 1
    return m


def composite_weight(latent_mask: np.ndarray, image_size: int) -> np.ndarray:
    """The official composite weight [S, S] float32 in [0, 1] (uint8 / 255), with Pillow."""
    from PIL import Image, ImageFilter

    mask = Image.fromarray(np.uint8(latent_mask * 255.0))
    mask = mask.resize((image_size, image_size))            # Pillow's default for "L": BICUBIC
    mask = mask.filter(ImageFilter.GaussianBlur(radius=image_size // 16 - 1))
    return np.float32(mask) / 255.0


def composite(image: np.ndarray, latent_mask: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """outputs * m + (1 - m) * image, float32, not clipped (the official `composite_outputs`)."""
    m = composite_weight(latent_mask, image.shape[0])[:, :, None]
    return outputs * m + (1 - m) * image.astype(np.float32)
