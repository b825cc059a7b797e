"""The Flax networks reproduce the official parameter tree (maskgit-reference.md 1.1/1.2 tables).

Shape-only (`jax.eval_shape`), so it runs in about a second.
"""

import math

from maskgit_flax import transformer, vqgan
from maskgit_flax.config import OFFICIAL_TOKENIZER, OFFICIAL_TRANSFORMER_256, OFFICIAL_TRANSFORMER_512
from maskgit_flax.tree import count_params, shapes


def test_official_tokenizer_tree():
    tree = vqgan.init_shapes(OFFICIAL_TOKENIZER, image_size=16)
    s = shapes(tree)
    assert count_params(tree) == 54_515_587
    enc = sum(math.prod(v) for k, v in s.items() if k.startswith("encoder/"))
    dec = sum(math.prod(v) for k, v in s.items() if k.startswith("decoder/"))
    assert (enc, dec) == (23_775_104, 30_478_339)
    assert s["encoder/Conv_0/kernel"] == (3, 3, 3, 128)
    assert "encoder/Conv_0/bias" not in s
    assert s["encoder/ResBlock_4/Conv_2/kernel"] == (1, 1, 256, 256)
    assert s["encoder/ResBlock_8/Conv_2/kernel"] == (1, 1, 512, 512)
    assert s["encoder/GroupNorm_0/scale"] == (512,)
    assert s["encoder/Conv_1/kernel"] == (1, 1, 512, 256)
    assert s["encoder/Conv_1/bias"] == (256,)
    assert s["quantizer/codebook"] == (1024, 256)
    assert s["decoder/Conv_0/kernel"] == (3, 3, 256, 512) and s["decoder/Conv_0/bias"] == (512,)
    assert s["decoder/ResBlock_4/Conv_2/kernel"] == (1, 1, 256, 256)
    assert s["decoder/ResBlock_8/Conv_2/kernel"] == (1, 1, 128, 128)
    for i, c in zip(range(1, 5), (512, 256, 256, 128)):
        assert s[f"decoder/Conv_{i}/kernel"] == (3, 3, c, c)
        assert s[f"decoder/Conv_{i}/bias"] == (c,)
    assert s["decoder/GroupNorm_0/scale"] == (128,)
    assert s["decoder/Conv_5/kernel"] == (3, 3, 128, 3)
    # Only the two channel-changing blocks per network have a shortcut conv.
    shortcuts = sorted(k for k in s if k.endswith("Conv_2/kernel") and "ResBlock" in k)
    assert shortcuts == ["decoder/ResBlock_4/Conv_2/kernel", "decoder/ResBlock_8/Conv_2/kernel",
                         "encoder/ResBlock_4/Conv_2/kernel", "encoder/ResBlock_8/Conv_2/kernel"]
    assert max(int(k.split("ResBlock_")[1].split("/")[0]) for k in s if "ResBlock_" in k) == 11
    assert not any("bias" in k for k in s if "ResBlock" in k and "Conv" in k)


def test_official_transformer_tree():
    tree = transformer.init_shapes(OFFICIAL_TRANSFORMER_256)
    s = shapes(tree)
    assert count_params(tree) == 172_457_193
    assert count_params(transformer.init_shapes(OFFICIAL_TRANSFORMER_512)) == 173_047_017
    assert s["Embed_0/word_embeddings/embedding"] == (2025, 768)
    assert s["Embed_0/position_embeddings/embedding"] == (257, 768)
    assert s["Embed_0/embeddings_ln/scale"] == (768,)
    a = "TransformerLayer_23/Attention_0/"
    for n in ("query", "key", "value"):
        assert s[a + f"self_attention/{n}/kernel"] == (768, 16, 48)
        assert s[a + f"self_attention/{n}/bias"] == (16, 48)
    assert s[a + "self_attention/out/kernel"] == (16, 48, 768)
    assert s[a + "self_attention/out/bias"] == (768,)
    assert s[a + "attention_output_ln/bias"] == (768,)
    m = "TransformerLayer_23/Mlp_0/"
    assert s[m + "intermediate_output/kernel"] == (768, 3072)
    assert s[m + "layer_output/kernel"] == (3072, 768)
    assert s[m + "layer_output_ln/scale"] == (768,)
    assert "TransformerLayer_24/Mlp_0/layer_output/bias" not in s
    assert s["MlmLayer_0/mlm_dense/kernel"] == (768, 768)
    assert s["MlmLayer_0/mlm_ln/scale"] == (768,)
    assert s["MlmLayer_0/mlm_bias/bias"] == (2025,)
    assert len(s) == 4 + 24 * 16 + 5
