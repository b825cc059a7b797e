"""VQGAN tokenizer of the official MaskGIT family (google-research/maskgit `vqgan_tokenizer.py`).

Module and parameter names reproduce the official Flax tree: `encoder/Conv_0`, `encoder/ResBlock_i`,
`encoder/GroupNorm_0`, `encoder/Conv_1`, `quantizer/codebook`, `decoder/Conv_0`, `decoder/ResBlock_i`,
`decoder/Conv_1..` (post-upsample convs), `decoder/GroupNorm_0`, last `decoder/Conv_N` (output conv).
Quirk kept: when a ResBlock changes the channel count its output is h + Conv1x1(h) (the input is dropped).
Dtype-agnostic: float32 for export and fixtures, float64 in the parity tests against the numpy
reference, bf16 weights/inputs for mixed-precision training (`maskgit_training.train_tokenizer`).
"""
import jax
import jax.numpy as jnp
import flax.linen as nn

from .config import TokenizerConfig


def swish(x):
    return x * jax.nn.sigmoid(x)


def downsample(x):
    b, h, w, c = x.shape
    return x.reshape(b, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))


def upsample(x):
    return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)


class ResBlock(nn.Module):
    filters: int
    num_groups: int = 32

    @nn.compact
    def __call__(self, x):
        in_ch = x.shape[-1]
        residual = x
        x = nn.GroupNorm(num_groups=self.num_groups, epsilon=1e-6)(x)
        x = swish(x)
        x = nn.Conv(self.filters, (3, 3), use_bias=False)(x)
        x = nn.GroupNorm(num_groups=self.num_groups, epsilon=1e-6)(x)
        x = swish(x)
        x = nn.Conv(self.filters, (3, 3), use_bias=False)(x)
        if in_ch != self.filters:
            # Official quirk: the shortcut conv is applied to the block's own output.
            residual = nn.Conv(self.filters, (1, 1), use_bias=False)(x)
        return x + residual


class Encoder(nn.Module):
    config: TokenizerConfig

    @nn.compact
    def __call__(self, x):
        c = self.config
        x = nn.Conv(c.filters, (3, 3), use_bias=False)(x)
        n = len(c.channel_multipliers)
        filters = c.filters
        for i in range(n):
            filters = c.filters * c.channel_multipliers[i]
            for _ in range(c.num_res_blocks):
                x = ResBlock(filters, c.num_groups)(x)
            if i < n - 1:
                x = downsample(x)
        for _ in range(c.num_res_blocks):
            x = ResBlock(filters, c.num_groups)(x)
        x = nn.GroupNorm(num_groups=c.num_groups, epsilon=1e-6)(x)
        x = swish(x)
        x = nn.Conv(c.embedding_dim, (1, 1))(x)
        return x


class Decoder(nn.Module):
    config: TokenizerConfig

    @nn.compact
    def __call__(self, x):
        c = self.config
        n = len(c.channel_multipliers)
        filters = c.filters * c.channel_multipliers[-1]
        x = nn.Conv(filters, (3, 3), use_bias=True)(x)
        for _ in range(c.num_res_blocks):
            x = ResBlock(filters, c.num_groups)(x)
        for i in reversed(range(n)):
            filters = c.filters * c.channel_multipliers[i]
            for _ in range(c.num_res_blocks):
                x = ResBlock(filters, c.num_groups)(x)
            if i > 0:
                x = upsample(x)
                x = nn.Conv(filters, (3, 3))(x)
        x = nn.GroupNorm(num_groups=c.num_groups, epsilon=1e-6)(x)
        x = swish(x)
        x = nn.Conv(3, (3, 3))(x)
        return x


def squared_distances(z, codebook):
    """‖z‖² − 2 z·e + ‖e‖² (official `losses.squared_euclidean_distance`). z: (N, D)."""
    return (jnp.sum(z ** 2, axis=-1, keepdims=True) - 2.0 * z @ codebook.T
            + jnp.sum(codebook ** 2, axis=-1)[None, :])


class VectorQuantizer(nn.Module):
    config: TokenizerConfig

    @nn.compact
    def __call__(self, z):
        c = self.config
        codebook = self.param("codebook", nn.initializers.variance_scaling(1.0, "fan_in", "uniform"),
                              (c.codebook_size, c.embedding_dim))
        flat = z.reshape(-1, z.shape[-1])
        ids = jnp.argmin(squared_distances(flat, codebook), axis=-1)
        zq = jnp.take(codebook, ids, axis=0).reshape(z.shape)
        return zq, ids.reshape(z.shape[:-1])

    def decode_ids(self, ids):
        codebook = self.get_variable("params", "codebook")
        return jnp.take(codebook, ids, axis=0)


class VQGAN(nn.Module):
    config: TokenizerConfig

    def setup(self):
        self.encoder = Encoder(self.config)
        self.quantizer = VectorQuantizer(self.config)
        self.decoder = Decoder(self.config)

    def __call__(self, x):
        """Training forward: returns (reconstruction, z, zq, ids). Straight-through estimator inside."""
        z = self.encoder(x)
        zq, ids = self.quantizer(z)
        z_st = z + jax.lax.stop_gradient(zq - z)
        return self.decoder(z_st), z, zq, ids

    def encode(self, x):
        z = self.encoder(x)
        _, ids = self.quantizer(z)
        return ids

    def encode_z(self, x):
        return self.encoder(x)

    def quantize(self, z):
        """Encoder output z -> token ids (squared-L2 argmin over the codebook)."""
        return self.quantizer(z)[1]

    def decode_ids(self, ids):
        return self.decoder(self.quantizer.decode_ids(ids))


def init_params(config, rng, batch=1, image_size=None):
    """Initial parameters (official tree). `image_size` defaults to the config's; any multiple of
    the downsampling factor gives the same tree."""
    size = image_size or config.image_size
    x = jnp.zeros((batch, size, size, 3), jnp.float32)
    return VQGAN(config).init(rng, x)["params"]


def init_shapes(config, image_size=None):
    """The parameter tree as `jax.ShapeDtypeStruct`s (no computation)."""
    size = image_size or config.downsample_factor
    return jax.eval_shape(lambda: init_params(config, jax.random.PRNGKey(0), image_size=size))
