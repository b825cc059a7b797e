"""Fixtures: the real server (the release build scripts/test makes) on the tiny test model."""
import os
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "Clients" / "python"))

from maskgit_rpc import Client  # noqa: E402

#: $MASKGIT_RPC_BIN, else the release binary `scripts/test` builds.
BINARY = pathlib.Path(os.environ.get("MASKGIT_RPC_BIN") or REPO / ".build" / "release" / "maskgit-rpc")
TINY_MODEL = REPO / "Tests" / "EngineTests" / "Fixtures" / "tiny"
IMAGES = REPO / "Examples" / "images"


@pytest.fixture(scope="session")
def binary():
    if not os.access(BINARY, os.X_OK):
        pytest.skip(f"{BINARY} is not built: run `swift build -c release --product maskgit-rpc` (scripts/test does)")
    return BINARY


@pytest.fixture
def client(binary, tmp_path):
    with Client(binary, model_dir=TINY_MODEL, args=["--allow-root", str(tmp_path), "--quiet"]) as c:
        yield c
