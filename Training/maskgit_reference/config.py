"""Network configs for the MaskGIT reference (maskgit-reference.md sections 1.1 and 1.2).

The field names are the ones written into the safetensors `__metadata__["config"]` JSON
(Docs/Checkpoints.md) and inferred from weight shapes by the Swift loader.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any


@dataclasses.dataclass(frozen=True)
class TokenizerConfig:
    """Conv VQGAN tokenizer (no attention). Official 256/512: the defaults."""

    filters: int = 128
    channel_multipliers: tuple[int, ...] = (1, 1, 2, 2, 4)
    num_res_blocks: int = 2
    embedding_dim: int = 256
    codebook_size: int = 1024
    num_groups: int = 32

    @property
    def num_levels(self) -> int:
        return len(self.channel_multipliers)

    @property
    def downsample_factor(self) -> int:
        """Pixels per token along each axis (16 for the official config)."""
        return 2 ** (self.num_levels - 1)

    def to_json(self) -> str:
        d = dataclasses.asdict(self)
        d["channel_multipliers"] = list(self.channel_multipliers)
        return json.dumps(d, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TokenizerConfig":
        d = dict(d)
        d["channel_multipliers"] = tuple(d["channel_multipliers"])
        return cls(**d)


@dataclasses.dataclass(frozen=True)
class TransformerConfig:
    """Post-LN BERT-style bidirectional transformer. Official 256: the defaults."""

    vocab_size: int = 2025
    hidden_size: int = 768
    num_layers: int = 24
    num_heads: int = 16
    intermediate_size: int = 3072
    seq_len: int = 257

    @property
    def head_dim(self) -> int:
        assert self.hidden_size % self.num_heads == 0
        return self.hidden_size // self.num_heads

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TransformerConfig":
        return cls(**d)


OFFICIAL_TOKENIZER = TokenizerConfig()
OFFICIAL_TRANSFORMER_256 = TransformerConfig()
OFFICIAL_TRANSFORMER_512 = TransformerConfig(seq_len=1025)

# The tiny fixture pair: a channel change at level 2 hits the ResBlock shortcut quirk in both
# the encoder (ResBlock_2: 32 -> 64) and the decoder (ResBlock_4: 64 -> 32).
TINY_TOKENIZER = TokenizerConfig(
    filters=32, channel_multipliers=(1, 1, 2), num_res_blocks=2,
    embedding_dim=16, codebook_size=64, num_groups=32,
)
TINY_NUM_CLASSES = 10
TINY_TRANSFORMER = TransformerConfig(
    vocab_size=64 + TINY_NUM_CLASSES + 1, hidden_size=32, num_layers=2, num_heads=4,
    intermediate_size=64, seq_len=17,
)
