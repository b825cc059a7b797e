"""Pure-numpy forward passes of the MaskGIT VQGAN tokenizer and bidirectional transformer.

Written from /work/shared/docs/maskgit-reference.md sections 0, 1.1 and 1.2 (which describe the
official google-research/maskgit `vqgan_tokenizer.py`, `layers.py`, `maskgit_transformer.py`),
not from the official code. Parameters are a nested dict in the official Flax tree layout
*below* `params`, e.g. `p["encoder"]["ResBlock_4"]["Conv_2"]["kernel"]`.

Precision: everything is computed in the dtype given to the entry points (`dtype=np.float64`
by default; that is the ground truth the fixtures use). Pass `np.float32` for benchmarking.

Legend: B batch, H/W height/width, C channels, L sequence length, D hidden size,
N heads, Hd head dim, V vocabulary, K codebook size, E embedding dim.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from maskgit_flax.config import TokenizerConfig, TransformerConfig

Params = Mapping[str, Any]

GROUPNORM_EPS = 1e-6
LAYERNORM_EPS = 1e-12


# MARK: - layers


def conv2d_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """Stride-1 'SAME' convolution. x [B,H,W,Ci], kernel HWIO [kh,kw,Ci,Co] -> [B,H,W,Co].

    Computed as a sum over the kh*kw kernel taps of shifted [B*H*W, Ci] x [Ci, Co] matrix
    products (im2col without materialising the kh*kw*Ci-wide column matrix, which would cost
    9x the activation memory at 256 px).
    """
    b, h, w, ci = x.shape
    kh, kw, kci, co = kernel.shape
    assert kci == ci, f"conv expects {kci} input channels, got {ci}"
    # TF/XLA 'SAME' for stride 1: total padding k-1, the smaller half before.
    ph, pw = (kh - 1) // 2, (kw - 1) // 2
    if kh == 1 and kw == 1:
        out = x.reshape(-1, ci) @ kernel[0, 0]
    else:
        xp = np.pad(x, ((0, 0), (ph, kh - 1 - ph), (pw, kw - 1 - pw), (0, 0)))
        out = np.zeros((b * h * w, co), dtype=x.dtype)
        for i in range(kh):
            for j in range(kw):
                tap = np.ascontiguousarray(xp[:, i:i + h, j:j + w, :]).reshape(-1, ci)
                out += tap @ kernel[i, j]
    out = out.reshape(b, h, w, co)
    if bias is not None:
        out = out + bias
    return out


def group_norm(x: np.ndarray, scale: np.ndarray, bias: np.ndarray, num_groups: int,
               eps: float = GROUPNORM_EPS) -> np.ndarray:
    """Flax nn.GroupNorm: statistics over (H, W, C/G) per sample and group; biased variance."""
    b, h, w, c = x.shape
    assert c % num_groups == 0, f"{c} channels not divisible into {num_groups} groups"
    xg = x.reshape(b, h, w, num_groups, c // num_groups)
    mean = xg.mean(axis=(1, 2, 4), keepdims=True)
    var = ((xg - mean) ** 2).mean(axis=(1, 2, 4), keepdims=True)
    y = ((xg - mean) / np.sqrt(var + eps)).reshape(b, h, w, c)
    return y * scale + bias


def layer_norm(x: np.ndarray, scale: np.ndarray, bias: np.ndarray,
               eps: float = LAYERNORM_EPS) -> np.ndarray:
    """Flax nn.LayerNorm over the last axis; biased variance."""
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * scale + bias


def swish(x: np.ndarray) -> np.ndarray:
    """x * sigmoid(x), written to stay finite for large |x|."""
    return x * (0.5 * (1.0 + np.tanh(0.5 * x)))


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    """jax.nn.gelu(approximate=True): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    c = float(np.sqrt(2.0 / np.pi))
    return 0.5 * x * (1.0 + np.tanh(c * (x + 0.044715 * (x * x * x))))


def avg_pool_2x2(x: np.ndarray) -> np.ndarray:
    """TF-'SAME' 2x2 average pool, stride 2; on even sizes an exact 2x2 mean.

    Odd sizes are rejected: the reference does not define the padded-window behaviour.
    """
    b, h, w, c = x.shape
    if h % 2 or w % 2:
        raise ValueError(f"avg_pool_2x2 needs even spatial sizes, got {h}x{w}")
    return x.reshape(b, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))


def upsample_nearest_2x(x: np.ndarray) -> np.ndarray:
    """jax.image.resize(..., 'nearest') to twice the size: pixel replication."""
    return x.repeat(2, axis=1).repeat(2, axis=2)


# MARK: - VQGAN tokenizer


def res_block(p: Params, x: np.ndarray, filters: int, num_groups: int) -> np.ndarray:
    """GN -> swish -> Conv3x3 -> GN -> swish -> Conv3x3; residual with the shortcut quirk.

    When C_in != filters the official block returns h + Conv_2(h), a 1x1 conv (no bias) applied
    to its own output h; the block input x is dropped (reference section 0, quirk 1).
    """
    c_in = x.shape[-1]
    h = swish(group_norm(x, p["GroupNorm_0"]["scale"], p["GroupNorm_0"]["bias"], num_groups))
    h = conv2d_same(h, p["Conv_0"]["kernel"])                                  # [B,H,W,F]
    h = swish(group_norm(h, p["GroupNorm_1"]["scale"], p["GroupNorm_1"]["bias"], num_groups))
    h = conv2d_same(h, p["Conv_1"]["kernel"])                                  # [B,H,W,F]
    if c_in != filters:
        return h + conv2d_same(h, p["Conv_2"]["kernel"])
    return h + x


def encode(params: Params, cfg: TokenizerConfig, img: np.ndarray,
           dtype: Any = np.float64) -> np.ndarray:
    """img [B,H,W,3] in [0,1] -> latents z [B,H/f,W/f,E] (f = 2^(levels-1))."""
    p = _cast(params["encoder"], dtype)
    x = np.asarray(img, dtype=dtype)
    x = conv2d_same(x, p["Conv_0"]["kernel"])                                  # [B,H,W,F]
    block = 0
    for level, mult in enumerate(cfg.channel_multipliers):
        filters = cfg.filters * mult
        for _ in range(cfg.num_res_blocks):
            x = res_block(p[f"ResBlock_{block}"], x, filters, cfg.num_groups)
            block += 1
        if level < cfg.num_levels - 1:
            x = avg_pool_2x2(x)                                                # [B,H/2,W/2,C]
    for _ in range(cfg.num_res_blocks):
        x = res_block(p[f"ResBlock_{block}"], x, x.shape[-1], cfg.num_groups)
        block += 1
    x = swish(group_norm(x, p["GroupNorm_0"]["scale"], p["GroupNorm_0"]["bias"], cfg.num_groups))
    return conv2d_same(x, p["Conv_1"]["kernel"], p["Conv_1"]["bias"])         # [B,h,w,E]


def quantize_distances(params: Params, z: np.ndarray, dtype: Any = np.float64) -> np.ndarray:
    """Squared-L2 distances ||z||^2 - 2 z.e + ||e||^2, no normalisation. -> [B,h,w,K]."""
    e = np.asarray(params["quantizer"]["codebook"], dtype=dtype)              # [K,E]
    z = np.asarray(z, dtype=dtype)
    zz = (z ** 2).sum(axis=-1, keepdims=True)
    ee = (e ** 2).sum(axis=-1)
    return zz - 2.0 * (z @ e.T) + ee


def quantize(params: Params, z: np.ndarray, dtype: Any = np.float64) -> np.ndarray:
    """z [B,h,w,E] -> token ids [B,h,w] (int32), argmin of the squared-L2 distance."""
    return quantize_distances(params, z, dtype).argmin(axis=-1).astype(np.int32)


def decode_ids(params: Params, cfg: TokenizerConfig, ids: np.ndarray,
               dtype: Any = np.float64) -> np.ndarray:
    """ids [B,h,w] -> raw decoder output [B,h*f,w*f,3] (not clipped)."""
    e = np.asarray(params["quantizer"]["codebook"], dtype=dtype)
    return decode(params, cfg, e[np.asarray(ids)], dtype)


def decode(params: Params, cfg: TokenizerConfig, z: np.ndarray,
           dtype: Any = np.float64) -> np.ndarray:
    """Quantized latents [B,h,w,E] -> raw pixels [B,H,W,3]."""
    p = _cast(params["decoder"], dtype)
    top = cfg.filters * cfg.channel_multipliers[-1]
    x = conv2d_same(np.asarray(z, dtype=dtype), p["Conv_0"]["kernel"], p["Conv_0"]["bias"])
    block = 0
    for _ in range(cfg.num_res_blocks):
        x = res_block(p[f"ResBlock_{block}"], x, top, cfg.num_groups)
        block += 1
    conv = 1
    for level in reversed(range(cfg.num_levels)):
        filters = cfg.filters * cfg.channel_multipliers[level]
        for _ in range(cfg.num_res_blocks):
            x = res_block(p[f"ResBlock_{block}"], x, filters, cfg.num_groups)
            block += 1
        if level > 0:
            x = upsample_nearest_2x(x)                                         # [B,2H,2W,C]
            x = conv2d_same(x, p[f"Conv_{conv}"]["kernel"], p[f"Conv_{conv}"]["bias"])
            conv += 1
    x = swish(group_norm(x, p["GroupNorm_0"]["scale"], p["GroupNorm_0"]["bias"], cfg.num_groups))
    return conv2d_same(x, p[f"Conv_{conv}"]["kernel"], p[f"Conv_{conv}"]["bias"])  # [B,H,W,3]


# MARK: - bidirectional transformer


def _dense(p: Params, x: np.ndarray) -> np.ndarray:
    return x @ p["kernel"] + p["bias"]


def attention(p: Params, x: np.ndarray, cfg: TransformerConfig) -> np.ndarray:
    """Fully bidirectional multi-head self-attention (no mask). x [B,L,D] -> [B,L,D].

    DenseGeneral kernels are (D, N, Hd) for q/k/v and (N, Hd, D) for out; they are applied as
    plain matrix products over the flattened (N*Hd) axis.
    """
    b, length, d = x.shape
    n, hd = cfg.num_heads, cfg.head_dim

    def project(name: str) -> np.ndarray:
        w = p[name]["kernel"].reshape(d, n * hd)
        y = x.reshape(b * length, d) @ w + p[name]["bias"].reshape(n * hd)
        # Contiguous copies: numpy's stacked matmul skips BLAS on transposed views.
        return np.ascontiguousarray(y.reshape(b, length, n, hd).transpose(0, 2, 1, 3))  # [B,N,L,Hd]

    q, k, v = project("query"), project("key"), project("value")
    kt = np.ascontiguousarray(k.transpose(0, 1, 3, 2))                             # [B,N,Hd,L]
    s = (q @ kt) / np.sqrt(hd)                                                      # [B,N,L,L]
    s = s - s.max(axis=-1, keepdims=True)
    a = np.exp(s)
    a = a / a.sum(axis=-1, keepdims=True)
    o = (a @ v).transpose(0, 2, 1, 3).reshape(b * length, n * hd)                   # [B*L,N*Hd]
    out = o @ p["out"]["kernel"].reshape(n * hd, d) + p["out"]["bias"]
    return out.reshape(b, length, d)                                                # [B,L,D]


def transformer_layer(p: Params, x: np.ndarray, cfg: TransformerConfig) -> np.ndarray:
    """Post-LN: h = LN(attn(x) + x); out = LN(mlp(h) + h)."""
    pa = p["Attention_0"]
    h = attention(pa["self_attention"], x, cfg)
    h = layer_norm(h + x, pa["attention_output_ln"]["scale"], pa["attention_output_ln"]["bias"])
    pm = p["Mlp_0"]
    m = gelu_tanh(_dense(pm["intermediate_output"], h))                             # [B,L,I]
    m = _dense(pm["layer_output"], m)                                               # [B,L,D]
    return layer_norm(m + h, pm["layer_output_ln"]["scale"], pm["layer_output_ln"]["bias"])


def transformer_logits(params: Params, cfg: TransformerConfig, tokens: np.ndarray,
                       dtype: Any = np.float64) -> np.ndarray:
    """tokens [B,L] int (L <= max_position_embeddings; class token at 0, mask id V-1) -> logits [B,L,V]."""
    p = _cast(params, dtype)
    tokens = np.asarray(tokens)
    b, length = tokens.shape
    if length > cfg.max_position_embeddings:
        raise ValueError(f"sequence of {length} tokens exceeds {cfg.max_position_embeddings} positions")
    if tokens.min() < 0 or tokens.max() >= cfg.vocab_size:
        raise ValueError("token id out of range [0, vocab_size)")
    pe = p["Embed_0"]
    word = pe["word_embeddings"]["embedding"]                                       # [V,D]
    x = word[tokens] + pe["position_embeddings"]["embedding"][np.arange(length)]    # [B,L,D]
    x = layer_norm(x, pe["embeddings_ln"]["scale"], pe["embeddings_ln"]["bias"])
    for i in range(cfg.num_layers):
        x = transformer_layer(p[f"TransformerLayer_{i}"], x, cfg)
    pm = p["MlmLayer_0"]
    h = gelu_tanh(_dense(pm["mlm_dense"], x))
    h = layer_norm(h, pm["mlm_ln"]["scale"], pm["mlm_ln"]["bias"])
    return h @ word.T + pm["mlm_bias"]["bias"]                                       # [B,L,V]


# MARK: - helpers


def _cast(tree: Any, dtype: Any) -> Any:
    if isinstance(tree, Mapping):
        return {k: _cast(v, dtype) for k, v in tree.items()}
    return np.asarray(tree, dtype=dtype)
