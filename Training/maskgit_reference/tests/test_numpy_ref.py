"""numpy reference: hand-checked layers, and parity with the Flax networks (`maskgit_flax`) on the tiny config."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from maskgit_flax.config import TINY_TOKENIZER, TINY_TRANSFORMER
from maskgit_flax.transformer import Transformer
from maskgit_flax.vqgan import VQGAN
from maskgit_reference import make_fixtures as mf
from maskgit_reference import numpy_ref as ref


@pytest.fixture(scope="module")
def pair():
    return mf.build_pair(TINY_TOKENIZER, TINY_TRANSFORMER, [(16, 16), (24, 16)], mf.WEIGHT_SEED)


def test_conv_same_matches_direct_sum():
    rng = np.random.default_rng(0)
    x, k, b = rng.normal(size=(1, 5, 4, 3)), rng.normal(size=(3, 3, 3, 2)), rng.normal(size=2)
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    want = np.zeros((1, 5, 4, 2))
    for i in range(5):
        for j in range(4):
            want[0, i, j] = np.einsum("hwc,hwco->o", xp[0, i:i + 3, j:j + 3], k) + b
    np.testing.assert_allclose(ref.conv2d_same(x, k, b), want, rtol=1e-12, atol=1e-12)


def test_small_layers_by_hand():
    x = np.arange(16, dtype=np.float64).reshape(1, 4, 4, 1)
    # 2x2 mean of [[0,1],[4,5]] is 2.5
    assert ref.avg_pool_2x2(x)[0, 0, 0, 0] == 2.5
    assert ref.upsample_nearest_2x(np.array([[[[1.0], [2.0]]]])).reshape(-1).tolist() == \
        [1, 1, 2, 2, 1, 1, 2, 2]
    # swish(1) = 1 / (1 + e^-1); gelu_tanh(1) = 0.5 (1 + tanh(sqrt(2/pi) 1.044715))
    assert abs(ref.swish(np.array(1.0)) - 1 / (1 + np.exp(-1))) < 1e-15
    assert abs(ref.gelu_tanh(np.array(1.0)) - 0.8411919906082768) < 1e-15
    # GroupNorm eps 1e-6 is visible on a constant-plus-tiny-noise group: var 1e-6 -> 1/sqrt(2e-6)
    g = np.array([1.0, -1.0] * 8).reshape(1, 2, 2, 4) * 1e-3
    y = ref.group_norm(g, np.ones(4), np.zeros(4), num_groups=2)
    assert abs(y[0, 0, 0, 0] - 1e-3 / np.sqrt(1e-6 + 1e-6)) < 1e-9
    with pytest.raises(ValueError):
        ref.avg_pool_2x2(np.zeros((1, 3, 4, 1)))


def test_numpy_matches_flax_in_float64(pair):
    """Same maths, both in float64: agreement to ~1e-12 (max abs, relative to max |ref|)."""
    with jax.enable_x64(True):
        to64 = lambda t: jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64), t)  # noqa: E731
        tok, trf = to64(pair["tok"]), to64(pair["trf"])
        vq = VQGAN(TINY_TOKENIZER)
        for img, z, ids, dec in zip(pair["images"], pair["zs"], pair["ids"], pair["decoded"]):
            zf = np.asarray(vq.apply({"params": tok}, jnp.asarray(img, jnp.float64),
                                     method=VQGAN.encode_z))
            assert np.abs(zf - z).max() <= 1e-12 * np.abs(z).max()
            idf = np.asarray(vq.apply({"params": tok}, jnp.asarray(zf), method=VQGAN.quantize))
            np.testing.assert_array_equal(idf, ids)
            df = np.asarray(vq.apply({"params": tok}, jnp.asarray(ids), method=VQGAN.decode_ids))
            assert np.abs(df - dec).max() <= 1e-12 * np.abs(dec).max()
        lf = np.asarray(Transformer(TINY_TRANSFORMER).apply({"params": trf}, jnp.asarray(pair["tokens"])))
        assert np.abs(lf - pair["logits"]).max() <= 1e-12 * np.abs(pair["logits"]).max()


def test_flax_float32_within_swift_tolerance(pair):
    """Flax in float32 stays within the 1e-4 relative budget the Swift tests use."""
    vq = VQGAN(TINY_TOKENIZER)
    zf = np.asarray(vq.apply({"params": pair["tok"]}, pair["images"][0], method=VQGAN.encode_z))
    assert np.abs(zf - pair["zs"][0]).max() <= 1e-4 * np.abs(pair["zs"][0]).max()
    lf = np.asarray(Transformer(TINY_TRANSFORMER).apply({"params": pair["trf"]}, jnp.asarray(pair["tokens"])))
    assert np.abs(lf - pair["logits"]).max() <= 1e-4 * np.abs(pair["logits"]).max()


def test_fixture_exercises_the_quirks(pair):
    tok = pair["tok"]
    # Shortcut quirk hit in both networks: Conv_2 is (1,1,C_out,C_out).
    assert tok["encoder"]["ResBlock_4"]["Conv_2"]["kernel"].shape == (1, 1, 64, 64)
    assert tok["decoder"]["ResBlock_4"]["Conv_2"]["kernel"].shape == (1, 1, 32, 32)
    # Class token at 0, mask ids present, mask id = V - 1.
    t = pair["tokens"][0]
    assert t[0] == TINY_TOKENIZER.codebook_size + 3
    assert (t == TINY_TRANSFORMER.vocab_size - 1).sum() == 5
    assert pair["margin"] > mf.MIN_RELATIVE_MARGIN
    # Norm parameters are not the 1/0 defaults.
    assert abs(float(tok["encoder"]["GroupNorm_0"]["scale"].mean()) - 1) < 0.2
    assert float(np.abs(tok["encoder"]["GroupNorm_0"]["bias"]).max()) > 0.01
