"""Bidirectional transformer of the official MaskGIT (`maskgit_transformer.py`), BERT-style post-LN.

Names reproduce the official Flax tree: Embed_0/{word_embeddings,position_embeddings,embeddings_ln},
TransformerLayer_i/Attention_0/{self_attention/{query,key,value,out},attention_output_ln},
TransformerLayer_i/Mlp_0/{intermediate_output,layer_output,layer_output_ln},
MlmLayer_0/{mlm_dense,mlm_ln,mlm_bias/bias}. LayerNorm eps 1e-12, GELU tanh approximation,
MLM head tied to the word embedding.
"""
import dataclasses
import json

import jax
import jax.numpy as jnp
import flax.linen as nn

LN_EPS = 1e-12


@dataclasses.dataclass(frozen=True)
class TransformerConfig:
    vocab_size: int = 1024 + 9 + 2
    hidden_size: int = 256
    num_layers: int = 6
    num_heads: int = 8
    intermediate_size: int = 1024
    max_position_embeddings: int = 65
    layer_norm_eps: float = LN_EPS
    grid_height: int = 8
    grid_width: int = 8
    dropout_rate: float = 0.1

    def export_dict(self):
        d = dataclasses.asdict(self)
        d.pop("dropout_rate")
        return d

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d):
        return cls(**{k: v for k, v in d.items() if k in {f.name for f in dataclasses.fields(cls)}})


OFFICIAL_CONFIG = TransformerConfig(vocab_size=2025, hidden_size=768, num_layers=24, num_heads=16,
                                    intermediate_size=3072, max_position_embeddings=257,
                                    grid_height=16, grid_width=16)

init_fn = nn.initializers.truncated_normal(stddev=0.02)


class Embed(nn.Module):
    config: TransformerConfig

    @nn.compact
    def __call__(self, ids, deterministic):
        c = self.config
        word = nn.Embed(c.vocab_size, c.hidden_size, embedding_init=init_fn, name="word_embeddings")
        pos = nn.Embed(c.max_position_embeddings, c.hidden_size, embedding_init=init_fn,
                       name="position_embeddings")
        x = word(ids) + pos(jnp.arange(ids.shape[-1])[None, :])
        x = nn.LayerNorm(epsilon=c.layer_norm_eps, name="embeddings_ln")(x)
        return nn.Dropout(c.dropout_rate)(x, deterministic=deterministic)


class Attention(nn.Module):
    config: TransformerConfig

    @nn.compact
    def __call__(self, x, deterministic):
        c = self.config
        a = nn.SelfAttention(num_heads=c.num_heads, qkv_features=c.hidden_size, dropout_rate=c.dropout_rate,
                             kernel_init=init_fn, deterministic=deterministic, name="self_attention")(x)
        a = nn.Dropout(c.dropout_rate)(a, deterministic=deterministic)
        return nn.LayerNorm(epsilon=c.layer_norm_eps, name="attention_output_ln")(a + x)


class Mlp(nn.Module):
    config: TransformerConfig

    @nn.compact
    def __call__(self, x, deterministic):
        c = self.config
        h = nn.Dense(c.intermediate_size, kernel_init=init_fn, name="intermediate_output")(x)
        h = jax.nn.gelu(h)
        h = nn.Dense(c.hidden_size, kernel_init=init_fn, name="layer_output")(h)
        h = nn.Dropout(c.dropout_rate)(h, deterministic=deterministic)
        return nn.LayerNorm(epsilon=c.layer_norm_eps, name="layer_output_ln")(h + x)


class TransformerLayer(nn.Module):
    config: TransformerConfig

    @nn.compact
    def __call__(self, x, deterministic):
        x = Attention(self.config)(x, deterministic)
        return Mlp(self.config)(x, deterministic)


class MlmLayer(nn.Module):
    config: TransformerConfig

    @nn.compact
    def __call__(self, x, embedding):
        c = self.config
        x = nn.Dense(c.hidden_size, kernel_init=init_fn, name="mlm_dense")(x)
        x = jax.nn.gelu(x)
        x = nn.LayerNorm(epsilon=c.layer_norm_eps, name="mlm_ln")(x)
        logits = x @ embedding.T
        bias = Bias(c.vocab_size, name="mlm_bias")()
        return logits + bias


class Bias(nn.Module):
    size: int

    @nn.compact
    def __call__(self):
        return self.param("bias", nn.initializers.zeros, (self.size,))


class Transformer(nn.Module):
    config: TransformerConfig

    @nn.compact
    def __call__(self, ids, deterministic=True):
        c = self.config
        x = Embed(c)(ids, deterministic)
        for _ in range(c.num_layers):
            x = TransformerLayer(c)(x, deterministic)
        embedding = self.variables["params"]["Embed_0"]["word_embeddings"]["embedding"]
        return MlmLayer(c)(x, embedding)


def init_params(config, rng):
    ids = jnp.zeros((1, config.max_position_embeddings), jnp.int32)
    return Transformer(config).init({"params": rng, "dropout": rng}, ids, deterministic=True)["params"]


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    codebook_size: int
    num_classes: int

    @property
    def class_offset(self):
        return self.codebook_size

    @property
    def null_class_id(self):
        return self.codebook_size + self.num_classes

    @property
    def mask_token_id(self):
        return self.codebook_size + self.num_classes + 1

    @property
    def vocab_size(self):
        return self.codebook_size + self.num_classes + 2

    def to_dict(self):
        return {"codebook_size": self.codebook_size, "class_offset": self.class_offset,
                "num_classes": self.num_classes, "null_class_id": self.null_class_id,
                "mask_token_id": self.mask_token_id, "vocab_size": self.vocab_size}
