"""Independent numpy reference of MaskGIT (VQGAN tokenizer + bidirectional transformer),
checkpoint I/O and the golden-fixture generator for the Swift engine (the Flax networks it is
checked against are `maskgit_flax`, shared with the training pipeline).

Written from /work/shared/docs/maskgit-reference.md (sections 0, 1.1-1.3), not from the
official code. Tests: `.venv/bin/python -m pytest -q Training/maskgit_reference`.
"""
