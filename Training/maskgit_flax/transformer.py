"""Bidirectional transformer of the official MaskGIT (`maskgit_transformer.py`), BERT-style post-LN.

Names reproduce the official Flax tree: Embed_0/{word_embeddings,position_embeddings,embeddings_ln},
TransformerLayer_i/Attention_0/{self_attention/{query,key,value,out},attention_output_ln},
TransformerLayer_i/Mlp_0/{intermediate_output,layer_output,layer_output_ln},
MlmLayer_0/{mlm_dense,mlm_ln,mlm_bias/bias}. LayerNorm eps 1e-12, GELU tanh approximation,
MLM head tied to the word embedding (logits over all V ids). Dropout (embeddings, attention
probabilities, attention and MLP outputs) only with `deterministic=False`, which needs a `dropout` rng;
the default is the deterministic inference pass the engine computes.
"""
import jax
import jax.numpy as jnp
import flax.linen as nn

from .config import TransformerConfig


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
        a = nn.MultiHeadDotProductAttention(num_heads=c.num_heads, qkv_features=c.hidden_size,
                                            dropout_rate=c.dropout_rate, kernel_init=init_fn,
                                            deterministic=deterministic, name="self_attention")(x)
        a = nn.Dropout(c.dropout_rate)(a, deterministic=deterministic)
        return nn.LayerNorm(epsilon=c.layer_norm_eps, name="attention_output_ln")(a + x)


class Mlp(nn.Module):
    config: TransformerConfig

    @nn.compact
    def __call__(self, x, deterministic):
        c = self.config
        h = nn.Dense(c.intermediate_size, kernel_init=init_fn, name="intermediate_output")(x)
        h = jax.nn.gelu(h, approximate=True)
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
        x = jax.nn.gelu(x, approximate=True)
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


def init_shapes(config):
    """The parameter tree as `jax.ShapeDtypeStruct`s (no computation)."""
    return jax.eval_shape(lambda: init_params(config, jax.random.PRNGKey(0)))
