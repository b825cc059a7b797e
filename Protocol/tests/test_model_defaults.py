"""Defaults per model through the server: the project's for the tiny fixture's safetensors pair,
the official code's for the same weights as official Flax msgpack checkpoints (generation 16
steps, class editing start 2 of 12 with the official composite and latent mask, rng jax)."""

from __future__ import annotations

import os
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Clients" / "python"))

from maskgit_rpc import Client, RPCError  # noqa: E402

TINY = REPO / "Tests" / "EngineTests" / "Fixtures" / "tiny"
BINARY = pathlib.Path(os.environ.get("MASKGIT_RPC_BIN") or REPO / ".build" / "release" / "maskgit-rpc")


def _server(*args: str) -> Client:
    if not os.access(BINARY, os.X_OK):
        pytest.skip(f"{BINARY} not built")
    return Client(BINARY, args=[*args, "--quiet"])


def _totals(client: Client, method: str, params: dict) -> tuple[dict, list[float]]:
    totals: list[float] = []
    result = client.submit(method, params, progress=lambda p: totals.append(p.total)).result(timeout=120)
    return result, totals


def test_project_model_keeps_the_project_defaults():
    with _server("--model", str(TINY)) as client:
        model = client.request("models.list", {"classes": False})["models"][0]
        d = model["defaults"]
        assert d["profile"] == "project"
        assert (d["generate"]["steps"], d["generate"]["rng"]) == (12, "project")
        assert (d["classEdit"]["steps"], d["classEdit"]["startStep"], d["classEdit"]["composite"]) == (12, 2, "tokens")
        assert "official" in model["capabilities"]["composites"] and "jax" in model["capabilities"]["rng"]
        _, totals = _totals(client, "generate", {"class": 1, "seed": 3, "output": {"transport": "none"}})
        assert totals[-1] == 12


def test_official_checkpoint_gets_the_official_defaults():
    with _server("--tokenizer", str(TINY / "tokenizer.msgpack"), "--transformer", str(TINY / "transformer.msgpack")) as client:
        d = client.request("models.list", {"classes": False})["models"][0]["defaults"]
        assert d["profile"] == "official"
        assert (d["generate"]["steps"], d["generate"]["startStep"], d["generate"]["rng"]) == (16, 0, "jax")
        assert (d["classEdit"]["steps"], d["classEdit"]["startStep"]) == (12, 2)
        assert (d["classEdit"]["composite"], d["classEdit"]["maskPolicy"]) == ("official", "official")
        assert (d["inpaint"]["composite"], d["inpaint"]["maskPolicy"]) == ("mask", "anyOverlap")
        _, totals = _totals(client, "generate", {"class": 1, "seed": 3, "output": {"transport": "none"}})
        assert totals[-1] == 16
        # Same seed, explicit rng jax: the same tokens (same image) as the default.
        a = client.request("generate", {"class": 1, "seed": 3})["image"]
        b = client.request("generate", {"class": 1, "seed": 3, "rng": "jax", "steps": 16})["image"]
        c = client.request("generate", {"class": 1, "seed": 3, "rng": "project", "steps": 16})["image"]
        assert a["data"] == b["data"] and a["data"] != c["data"]
        # The official latent mask of a box at (4, 4) of 8x8 on the 16 px model (stride 4): rows and
        # columns max(0, 1 - 1) .. min(4, 2 + 1 + 1) = 0..4 -> all 16 tokens; at (5, 5) of 6x6: 0..3.
        edit = client.request("classEdit", {"image": {"data": a["data"]}, "rect": {"x": 5, "y": 5, "width": 6, "height": 6}, "class": 2,
                                            "seed": 1, "output": {"transport": "none"}})
        assert edit["windows"][0]["tokenMask"]["rows"] == ["1110", "1110", "1110", "0000"]


def test_unknown_rng_is_a_named_error():
    with _server("--model", str(TINY)) as client:
        with pytest.raises(RPCError) as info:
            client.request("generate", {"class": 1, "rng": "numpy"})
        assert info.value.code == -32602 and info.value.data["field"] == "rng"
