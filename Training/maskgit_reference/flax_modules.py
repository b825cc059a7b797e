"""Flax linen twins of the MaskGIT networks, written from maskgit-reference.md 1.1/1.2.

Their only job is to cross-check `numpy_ref` and to pin the official parameter tree: the module
classes and creation order reproduce the official names (`encoder/ResBlock_4/Conv_2`,
`TransformerLayer_0/Attention_0/self_attention/query`, ...), so `model.init` on the official
config yields exactly the tree of the reference tables. Inference only (no dropout).
"""

from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
import flax.linen as nn

from maskgit_reference.config import TokenizerConfig, TransformerConfig


# MARK: - VQGAN tokenizer


def _pool(x):
    # TF-'SAME' 2x2 average pool, stride 2 (even sizes: an exact 2x2 mean).
    return nn.avg_pool(x, (2, 2), strides=(2, 2), padding="SAME")


def _upsample(x):
    b, h, w, c = x.shape
    return jax.image.resize(x, (b, h * 2, w * 2, c), method="nearest")


class ResBlock(nn.Module):
    filters: int
    num_groups: int = 32

    @nn.compact
    def __call__(self, x):
        c_in = x.shape[-1]
        h = nn.swish(nn.GroupNorm(num_groups=self.num_groups, epsilon=1e-6)(x))      # GroupNorm_0
        h = nn.Conv(self.filters, (3, 3), padding="SAME", use_bias=False)(h)         # Conv_0
        h = nn.swish(nn.GroupNorm(num_groups=self.num_groups, epsilon=1e-6)(h))      # GroupNorm_1
        h = nn.Conv(self.filters, (3, 3), padding="SAME", use_bias=False)(h)         # Conv_1
        if c_in != self.filters:
            # Shortcut quirk: the 1x1 conv sees the block's own output; x is dropped.
            return h + nn.Conv(self.filters, (1, 1), use_bias=False)(h)              # Conv_2
        return h + x


class Encoder(nn.Module):
    cfg: TokenizerConfig

    @nn.compact
    def __call__(self, x):
        cfg = self.cfg
        x = nn.Conv(cfg.filters, (3, 3), padding="SAME", use_bias=False)(x)          # Conv_0
        for level, mult in enumerate(cfg.channel_multipliers):
            for _ in range(cfg.num_res_blocks):
                x = ResBlock(cfg.filters * mult, cfg.num_groups)(x)
            if level < cfg.num_levels - 1:
                x = _pool(x)
        for _ in range(cfg.num_res_blocks):
            x = ResBlock(x.shape[-1], cfg.num_groups)(x)
        x = nn.swish(nn.GroupNorm(num_groups=cfg.num_groups, epsilon=1e-6)(x))       # GroupNorm_0
        return nn.Conv(cfg.embedding_dim, (1, 1), use_bias=True)(x)                  # Conv_1


class Decoder(nn.Module):
    cfg: TokenizerConfig

    @nn.compact
    def __call__(self, z):
        cfg = self.cfg
        top = cfg.filters * cfg.channel_multipliers[-1]
        x = nn.Conv(top, (3, 3), padding="SAME", use_bias=True)(z)                   # Conv_0
        for _ in range(cfg.num_res_blocks):
            x = ResBlock(top, cfg.num_groups)(x)
        for level in reversed(range(cfg.num_levels)):
            filters = cfg.filters * cfg.channel_multipliers[level]
            for _ in range(cfg.num_res_blocks):
                x = ResBlock(filters, cfg.num_groups)(x)
            if level > 0:
                x = _upsample(x)
                x = nn.Conv(filters, (3, 3), padding="SAME", use_bias=True)(x)       # Conv_1..
        x = nn.swish(nn.GroupNorm(num_groups=cfg.num_groups, epsilon=1e-6)(x))       # GroupNorm_0
        return nn.Conv(3, (3, 3), padding="SAME", use_bias=True)(x)                  # Conv_last


class VectorQuantizer(nn.Module):
    cfg: TokenizerConfig

    def setup(self):
        self.codebook = self.param(
            "codebook", nn.initializers.variance_scaling(1.0, "fan_in", "uniform"),
            (self.cfg.codebook_size, self.cfg.embedding_dim))

    def __call__(self, z):
        e = self.codebook                                                            # [K,E]
        d = (jnp.sum(z ** 2, axis=-1, keepdims=True) - 2.0 * jnp.dot(z, e.T)
             + jnp.sum(e ** 2, axis=-1))
        return jnp.argmin(d, axis=-1).astype(jnp.int32)

    def lookup(self, ids):
        return jnp.take(self.codebook, ids, axis=0)


class VQVAE(nn.Module):
    """Tokenizer with the official top-level names encoder / quantizer / decoder."""

    cfg: TokenizerConfig

    def setup(self):
        self.encoder = Encoder(self.cfg)
        self.quantizer = VectorQuantizer(self.cfg)
        self.decoder = Decoder(self.cfg)

    def __call__(self, img):
        # Used by init: touches every parameter. Returns the reconstruction.
        ids = self.quantizer(self.encoder(img))
        return self.decoder(self.quantizer.lookup(ids))

    def encode(self, img):
        return self.encoder(img)

    def quantize(self, z):
        return self.quantizer(z)

    def decode_ids(self, ids):
        return self.decoder(self.quantizer.lookup(ids))


# MARK: - bidirectional transformer

_LN_EPS = 1e-12


class Embed(nn.Module):
    cfg: TransformerConfig

    @nn.compact
    def __call__(self, tokens):
        cfg = self.cfg
        word = nn.Embed(cfg.vocab_size, cfg.hidden_size, name="word_embeddings")
        pos = nn.Embed(cfg.seq_len, cfg.hidden_size, name="position_embeddings")
        x = word(tokens) + pos(jnp.arange(tokens.shape[-1])[None])
        return nn.LayerNorm(epsilon=_LN_EPS, name="embeddings_ln")(x), word


class SelfAttentionParams(nn.Module):
    """Holds query/key/value/out DenseGeneral kernels under `self_attention`."""

    cfg: TransformerConfig

    @nn.compact
    def __call__(self, x):
        cfg = self.cfg
        n, hd = cfg.num_heads, cfg.head_dim
        q = nn.DenseGeneral((n, hd), name="query")(x)                                # [B,L,N,Hd]
        k = nn.DenseGeneral((n, hd), name="key")(x)
        v = nn.DenseGeneral((n, hd), name="value")(x)
        o = nn.dot_product_attention(q, k, v)                                        # [B,L,N,Hd]
        return nn.DenseGeneral(cfg.hidden_size, axis=(-2, -1), name="out")(o)        # [B,L,D]


class Attention(nn.Module):
    cfg: TransformerConfig

    @nn.compact
    def __call__(self, x):
        h = SelfAttentionParams(self.cfg, name="self_attention")(x)
        return nn.LayerNorm(epsilon=_LN_EPS, name="attention_output_ln")(h + x)


class Mlp(nn.Module):
    cfg: TransformerConfig

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(self.cfg.intermediate_size, name="intermediate_output")(x)
        h = jax.nn.gelu(h, approximate=True)
        h = nn.Dense(self.cfg.hidden_size, name="layer_output")(h)
        return nn.LayerNorm(epsilon=_LN_EPS, name="layer_output_ln")(h + x)


class TransformerLayer(nn.Module):
    cfg: TransformerConfig

    @nn.compact
    def __call__(self, x):
        return Mlp(self.cfg)(Attention(self.cfg)(x))


class Bias(nn.Module):
    size: int

    @nn.compact
    def __call__(self, x):
        return x + self.param("bias", nn.initializers.zeros, (self.size,))


class MlmLayer(nn.Module):
    cfg: TransformerConfig

    @nn.compact
    def __call__(self, x, word_embedding):
        h = nn.Dense(self.cfg.hidden_size, name="mlm_dense")(x)
        h = jax.nn.gelu(h, approximate=True)
        h = nn.LayerNorm(epsilon=_LN_EPS, name="mlm_ln")(h)
        logits = jnp.dot(h, word_embedding.T)                                        # tied, all V rows
        return Bias(self.cfg.vocab_size, name="mlm_bias")(logits)


class Transformer(nn.Module):
    cfg: TransformerConfig

    @nn.compact
    def __call__(self, tokens):
        x, word = Embed(self.cfg)(tokens)
        for _ in range(self.cfg.num_layers):
            x = TransformerLayer(self.cfg)(x)
        return MlmLayer(self.cfg)(x, word.embedding)


def param_count(tree) -> int:
    return sum(int(x.size) for x in jax.tree_util.tree_leaves(tree))


def shapes(tree, prefix: str = "") -> dict[str, tuple[int, ...]]:
    """Flatten a (shape-)tree into {'a/b/c': shape}."""
    out: dict[str, tuple[int, ...]] = {}
    for k, v in tree.items():
        path = f"{prefix}/{k}" if prefix else k
        if hasattr(v, "items"):
            out.update(shapes(v, path))
        else:
            out[path] = tuple(v.shape)
    return out


def init_shapes_tokenizer(cfg: TokenizerConfig, image_size: int = 32):
    model = VQVAE(cfg)
    img = jax.ShapeDtypeStruct((1, image_size, image_size, 3), jnp.float32)
    return jax.eval_shape(model.init, jax.random.PRNGKey(0), img)["params"]


def init_shapes_transformer(cfg: TransformerConfig):
    model = Transformer(cfg)
    tok = jax.ShapeDtypeStruct((1, cfg.seq_len), jnp.int32)
    return jax.eval_shape(model.init, jax.random.PRNGKey(0), tok)["params"]
