"""The one Flax implementation of the MaskGIT networks (VQGAN tokenizer, bidirectional transformer).

Module classes and creation order reproduce the official google-research/maskgit parameter tree
(`encoder/ResBlock_4/Conv_2`, `TransformerLayer_0/Attention_0/self_attention/query`, ...), so
`init_params` yields the tree the engine loads. Used by the training pipeline (`maskgit_training`)
and by the fixture generators and parity tests (`maskgit_reference`), whose numpy reference
(`maskgit_reference/numpy_ref.py`) stays the independent twin these modules are checked against.

| module | what |
|---|---|
| `config` | `TokenizerConfig`, `TransformerConfig`, `Vocabulary`; official and tiny fixture configs |
| `vqgan` | `VQGAN` (encoder / quantizer / decoder) and `init_params` |
| `transformer` | `Transformer` (dropout for training; deterministic by default) and `init_params` |
| `tree` | `flatten` / `unflatten` of parameter trees (`a/b/c` paths), `count_params`, `shapes` |
"""
