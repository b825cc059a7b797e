"""Parameter-tree utilities: a Flax tree <-> {'a/b/c': leaf} (the path below `params` joined by `/`,
the safetensors tensor names of Docs/Checkpoints.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'a': {'b': x}} -> {'a/b': x} (leaves unchanged; FrozenDicts and dicts are both nodes)."""
    out: dict[str, Any] = {}
    for k, v in tree.items():
        path = f"{prefix}/{k}" if prefix else str(k)
        if isinstance(v, Mapping):
            out.update(flatten(v, path))
        else:
            out[path] = v
    return out


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of `flatten` (plain dicts)."""
    tree: dict[str, Any] = {}
    for path, v in flat.items():
        node = tree
        parts = path.split("/")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = v
    return tree


def count_params(tree: Mapping[str, Any]) -> int:
    return int(sum(int(np.prod(np.shape(v))) for v in flatten(tree).values()))


def shapes(tree: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
    """{'a/b/c': shape} of a parameter (or `jax.eval_shape`) tree."""
    return {k: tuple(np.shape(v)) for k, v in flatten(tree).items()}
