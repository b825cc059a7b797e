"""Network configs (maskgit-reference.md sections 1.1 and 1.2): one class per network.

Three serialisations, each pinned by a reader that exists:

- `to_dict()` / `from_dict()`: every field, in field order; the `config` of a training run's
  `run_config.json` (the checkpoints of `maskgit_training` are resumed and exported from it).
- `export_dict()`: the `__metadata__["config"]` JSON that `maskgit_training export` writes
  (`Models/default/*.safetensors`): the network fields plus `image_size` (tokenizer) or the grid,
  position count and LayerNorm epsilon (transformer; not the training-only dropout rate).
- `to_json()`: sorted keys, shape fields only (`seq_len` for the position count), the `config`
  that the fixture generators of `maskgit_reference` write and that the Swift converters
  (`VQGANConversion`, `TransformerConversion`) reproduce byte for byte.

`from_dict` ignores unknown keys and accepts `seq_len` for `max_position_embeddings`, so it reads
all three.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

LN_EPS = 1e-12


def _known(cls, d: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in d.items() if k in names}


@dataclasses.dataclass(frozen=True)
class TokenizerConfig:
    """Conv VQGAN tokenizer (no attention). The defaults are the v1 default model; the official
    256/512 tokenizer is `OFFICIAL_TOKENIZER`. `image_size` is the training/export image side (the
    network is fully convolutional; it is not a shape field)."""

    filters: int = 32
    channel_multipliers: tuple[int, ...] = (1, 2, 2, 4)
    num_res_blocks: int = 1
    embedding_dim: int = 64
    codebook_size: int = 1024
    num_groups: int = 32
    image_size: int = 64

    @property
    def num_levels(self) -> int:
        return len(self.channel_multipliers)

    @property
    def downsample_factor(self) -> int:
        """Pixels per token along each axis (16 for the official config)."""
        return 2 ** (self.num_levels - 1)

    @property
    def grid_size(self) -> int:
        return self.image_size // self.downsample_factor

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["channel_multipliers"] = list(self.channel_multipliers)
        return d

    def export_dict(self) -> dict[str, Any]:
        return self.to_dict()

    def to_json(self) -> str:
        d = self.to_dict()
        d.pop("image_size")
        return json.dumps(d, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TokenizerConfig":
        d = _known(cls, d)
        d["channel_multipliers"] = tuple(d["channel_multipliers"])
        return cls(**d)


@dataclasses.dataclass(frozen=True)
class TransformerConfig:
    """Post-LN BERT-style bidirectional transformer. The defaults are the v1 default model; the
    official ones are `OFFICIAL_TRANSFORMER_256` / `_512`. `dropout_rate` is used in training only
    (`Transformer(..., deterministic=False)`)."""

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

    @property
    def head_dim(self) -> int:
        assert self.hidden_size % self.num_heads == 0
        return self.hidden_size // self.num_heads

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def export_dict(self) -> dict[str, Any]:
        d = self.to_dict()
        d.pop("dropout_rate")
        return d

    def to_json(self) -> str:
        d = {k: getattr(self, k) for k in ("vocab_size", "hidden_size", "num_layers", "num_heads",
                                           "intermediate_size")}
        d["seq_len"] = self.max_position_embeddings
        return json.dumps(d, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TransformerConfig":
        d = dict(d)
        if "seq_len" in d:
            d.setdefault("max_position_embeddings", d.pop("seq_len"))
        return cls(**_known(cls, d))

    @classmethod
    def square(cls, seq_len: int, **kw: Any) -> "TransformerConfig":
        """A config for a square token grid of `seq_len - 1` positions (class token first)."""
        g = math.isqrt(seq_len - 1)
        assert g * g == seq_len - 1, seq_len
        return cls(max_position_embeddings=seq_len, grid_height=g, grid_width=g, **kw)


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    """Token ids of the project's trained models: K codes, C classes, the null class (for
    classifier-free guidance), then the mask id (V - 1). Official checkpoints have no null class."""

    codebook_size: int
    num_classes: int

    @property
    def class_offset(self) -> int:
        return self.codebook_size

    @property
    def null_class_id(self) -> int:
        return self.codebook_size + self.num_classes

    @property
    def mask_token_id(self) -> int:
        return self.codebook_size + self.num_classes + 1

    @property
    def vocab_size(self) -> int:
        return self.codebook_size + self.num_classes + 2

    def to_dict(self) -> dict[str, int]:
        return {"codebook_size": self.codebook_size, "class_offset": self.class_offset,
                "num_classes": self.num_classes, "null_class_id": self.null_class_id,
                "mask_token_id": self.mask_token_id, "vocab_size": self.vocab_size}


OFFICIAL_TOKENIZER = TokenizerConfig(filters=128, channel_multipliers=(1, 1, 2, 2, 4), num_res_blocks=2,
                                     embedding_dim=256, codebook_size=1024, num_groups=32, image_size=256)
OFFICIAL_TRANSFORMER_256 = TransformerConfig.square(257, vocab_size=2025, hidden_size=768, num_layers=24,
                                                    num_heads=16, intermediate_size=3072)
OFFICIAL_TRANSFORMER_512 = dataclasses.replace(OFFICIAL_TRANSFORMER_256, max_position_embeddings=1025,
                                               grid_height=32, grid_width=32)

# The tiny fixture pair: a channel change at level 2 hits the ResBlock shortcut quirk in both
# the encoder (ResBlock_4: 32 -> 64) and the decoder (ResBlock_4: 64 -> 32).
TINY_TOKENIZER = TokenizerConfig(filters=32, channel_multipliers=(1, 1, 2), num_res_blocks=2,
                                 embedding_dim=16, codebook_size=64, num_groups=32, image_size=16)
TINY_NUM_CLASSES = 10
TINY_TRANSFORMER = TransformerConfig.square(17, vocab_size=64 + TINY_NUM_CLASSES + 1, hidden_size=32,
                                            num_layers=2, num_heads=4, intermediate_size=64)
