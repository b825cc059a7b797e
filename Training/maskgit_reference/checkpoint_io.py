"""Reading and writing parameter trees: official Flax msgpack and the project's safetensors.

Flax msgpack: `flax.serialization.msgpack_serialize({"params": tree})`, the official format.
safetensors: Docs/Checkpoints.md: names are the Flax path below `params` joined by `/`, layouts
unchanged, `__metadata__` with format / network / config (/ vocabulary / class_names).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from maskgit_flax.tree import flatten, unflatten

FORMAT_TAG = "maskgit-rpc/1"


def cast_tree(tree: Mapping[str, Any], dtype: Any) -> dict[str, Any]:
    return {k: cast_tree(v, dtype) if isinstance(v, Mapping) else np.asarray(v).astype(dtype)
            for k, v in tree.items()}


def msgpack_bytes(tree: Mapping[str, Any]) -> bytes:
    """The official checkpoint bytes for a parameter tree (wrapped under `params`)."""
    from flax import serialization
    return serialization.msgpack_serialize({"params": dict(tree)})


def save_msgpack(path: Path, tree: Mapping[str, Any]) -> None:
    Path(path).write_bytes(msgpack_bytes(tree))


def load_msgpack(path: Path) -> dict[str, Any]:
    """Parameter tree below `params` (accepts files with or without the `params` level)."""
    from flax import serialization
    state = serialization.msgpack_restore(Path(path).read_bytes())
    return dict(state["params"]) if "params" in state else dict(state)


def tokenizer_metadata(cfg, image_size: int | None = None, description: str = "") -> dict[str, str]:
    md = {"format": FORMAT_TAG, "network": "vqgan", "config": cfg.to_json()}
    if image_size is not None:
        md["image_size"] = str(image_size)
    if description:
        md["description"] = description
    return md


def transformer_metadata(cfg, codebook_size: int, class_names: list[str],
                         null_class: bool = False, image_size: int | None = None,
                         description: str = "") -> dict[str, str]:
    c = len(class_names)
    vocab = {
        "codebook_size": codebook_size,
        "class_offset": codebook_size,
        "num_classes": c,
        "null_class_id": codebook_size + c if null_class else None,
        "mask_token_id": cfg.vocab_size - 1,
        "vocab_size": cfg.vocab_size,
    }
    expected_v = codebook_size + c + (2 if null_class else 1)
    if expected_v != cfg.vocab_size:
        raise ValueError(f"vocab_size {cfg.vocab_size} != K + C + {1 + null_class} = {expected_v}")
    md = {
        "format": FORMAT_TAG,
        "network": "transformer",
        "config": cfg.to_json(),
        "vocabulary": json.dumps(vocab, sort_keys=True),
        "class_names": json.dumps(class_names),
    }
    if image_size is not None:
        md["image_size"] = str(image_size)
    if description:
        md["description"] = description
    return md


_ST_DTYPES = {"float32": "F32", "float16": "F16", "bfloat16": "BF16", "int32": "I32",
              "int64": "I64", "float64": "F64", "uint8": "U8"}


def safetensors_bytes(flat: Mapping[str, np.ndarray], metadata: dict[str, str] | None) -> bytes:
    """A byte-deterministic safetensors file.

    The `safetensors` package writes `__metadata__` from a Rust HashMap, so its key order (and
    the file bytes) change from run to run; this writer sorts all JSON keys by code point and
    orders the data like the package does (larger itemsize first, then name), padding the
    header with spaces to a multiple of 8. The Swift `SafetensorsWriter` writes the same bytes.
    """
    assert sys.byteorder == "little"
    names = sorted(flat, key=lambda k: (-np.asarray(flat[k]).dtype.itemsize, k))
    header: dict[str, Any] = {}
    if metadata:
        header["__metadata__"] = {k: str(metadata[k]) for k in sorted(metadata)}
    chunks, offset = [], 0
    for k in names:
        a = np.ascontiguousarray(flat[k])
        raw = a.tobytes("C")  # little-endian hosts only (asserted below)
        header[k] = {"dtype": _ST_DTYPES[a.dtype.name], "shape": list(a.shape),
                     "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    h = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * (-len(h) % 8)
    return len(h).to_bytes(8, "little") + h + b"".join(chunks)


def save_safetensors(path: Path, tree_or_flat: Mapping[str, Any], metadata: dict[str, str]) -> None:
    Path(path).write_bytes(safetensors_bytes(flatten(tree_or_flat), metadata))


def load_safetensors(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """(parameter tree, metadata)."""
    from safetensors import safe_open
    with safe_open(str(path), framework="numpy") as f:
        flat = {k: f.get_tensor(k) for k in f.keys()}
        md = f.metadata() or {}
    return unflatten(flat), md


def load_params(path: Path) -> dict[str, Any]:
    """Parameter tree from either format, sniffed by content (safetensors starts with a u64
    header length followed by '{'; Flax msgpack with a map marker)."""
    head = Path(path).open("rb").read(9)
    if len(head) == 9 and head[8:9] == b"{":
        return load_safetensors(path)[0]
    return load_msgpack(path)
