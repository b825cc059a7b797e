"""The fixture script is deterministic: a fresh run reproduces the committed fixtures."""

from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from safetensors.numpy import load_file

from maskgit_flax.tree import flatten
from maskgit_reference import checkpoint_io as cio
from maskgit_reference import make_fixtures as mf

COMMITTED = mf.DEFAULT_OUT
WEIGHT_FILES = ["tokenizer.msgpack", "transformer.msgpack", "tokenizer-f16.msgpack",
                "transformer-bf16.msgpack", "tokenizer.safetensors", "transformer.safetensors"]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    mf.make_tiny(out)
    return out


@pytest.mark.parametrize("name", WEIGHT_FILES)
def test_weight_files_byte_identical(fresh, name):
    assert (fresh / name).read_bytes() == (COMMITTED / name).read_bytes(), name


def test_expected_arrays_reproduce(fresh):
    new, old = load_file(str(fresh / "expected.safetensors")), load_file(str(COMMITTED / "expected.safetensors"))
    assert sorted(new) == sorted(old)
    for k in old:
        assert new[k].dtype == old[k].dtype and new[k].shape == old[k].shape, k
        if new[k].dtype == np.int32:
            np.testing.assert_array_equal(new[k], old[k], err_msg=k)
        else:
            np.testing.assert_allclose(new[k], old[k], rtol=1e-6, atol=1e-6 * np.abs(old[k]).max(), err_msg=k)


def test_formats_agree_and_variants_round(fresh):
    for net in ("tokenizer", "transformer"):
        a = flatten(cio.load_msgpack(fresh / f"{net}.msgpack"))
        b, md = cio.load_safetensors(fresh / f"{net}.safetensors")
        b = flatten(b)
        assert sorted(a) == sorted(b)
        for k in a:
            assert a[k].dtype == np.float32
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        assert md["format"] == "maskgit-rpc/1"
    f32 = flatten(cio.load_msgpack(fresh / "tokenizer.msgpack"))
    f16 = flatten(cio.load_msgpack(fresh / "tokenizer-f16.msgpack"))
    for k in f32:
        assert f16[k].dtype == np.float16
        np.testing.assert_array_equal(f16[k], f32[k].astype(np.float16))
    t32 = flatten(cio.load_msgpack(fresh / "transformer.msgpack"))
    bf = flatten(cio.load_msgpack(fresh / "transformer-bf16.msgpack"))
    for k in t32:
        assert bf[k].dtype == ml_dtypes.bfloat16
        np.testing.assert_array_equal(bf[k], t32[k].astype(ml_dtypes.bfloat16))


def test_expected_shapes(fresh):
    e = load_file(str(fresh / "expected.safetensors"))
    assert e["image"].shape == (1, 16, 16, 3) and e["token_ids"].shape == (1, 4, 4)
    assert e["latents"].shape == (1, 4, 4, 16) and e["decoded"].shape == (1, 16, 16, 3)
    assert e["odd/image"].shape == (1, 24, 16, 3) and e["odd/token_ids"].shape == (1, 6, 4)
    assert e["transformer/tokens"].shape == (1, 17) and e["transformer/logits"].shape == (1, 17, 75)
    assert e["token_ids"].dtype == np.int32
