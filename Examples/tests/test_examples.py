"""Runs every example (Examples/shell/*.sh, Examples/requests/*.json through request_files.sh,
Examples/python/iterative_edits.py) as written, on the default model, and checks their answers
and files."""
import json
import os
import pathlib
import subprocess
import sys

import pytest
from PIL import Image

REPO = pathlib.Path(__file__).resolve().parents[2]
BINARY = pathlib.Path(os.environ.get("MASKGIT_RPC_BIN") or REPO / ".build" / "release" / "maskgit-rpc")
DEFAULT = ""  # the examples as written: the default model
SHELL = sorted(p for p in (REPO / "Examples" / "shell").glob("*.sh") if p.name != "env.sh")  # env.sh is sourced


@pytest.fixture(autouse=True)
def built():
    if not os.access(BINARY, os.X_OK):
        pytest.skip(f"{BINARY} is not built: run `swift build -c release --product maskgit-rpc` (scripts/test does)")


def run(command, out_dir, timeout=60):
    env = {**os.environ, "MASKGIT_RPC_BIN": str(BINARY), "MASKGIT_MODEL_ARGS": DEFAULT, "OUT_DIR": str(out_dir)}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


def answers(stdout):
    """The responses (not notifications) by id."""
    messages = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return {m["id"]: m for m in messages if "id" in m}


def test_every_shell_example_is_tested():
    assert {p.name for p in SHELL} == {"models.sh", "inpaint_to_file.sh", "base64_roundtrip.sh", "session_pipe.sh", "request_files.sh"}


def test_models(tmp_path):
    result = answers(run(["bash", "Examples/shell/models.sh"], tmp_path))[1]["result"]
    assert result["models"][0]["name"] == "default" and "classes" not in result["models"][0]


def test_inpaint_to_file(tmp_path):
    result = answers(run(["bash", "Examples/shell/inpaint_to_file.sh"], tmp_path))[1]["result"]
    assert result["image"]["path"] == str(tmp_path / "cat-inpainted.png")
    assert Image.open(tmp_path / "cat-inpainted.png").size == (64, 64)


def test_base64_roundtrip(tmp_path):
    run(["bash", "Examples/shell/base64_roundtrip.sh"], tmp_path)
    assert Image.open(tmp_path / "tiny16-base64.png").size == (16, 16)


def test_session_pipe(tmp_path):
    stdout = run(["bash", "Examples/shell/session_pipe.sh"], tmp_path)
    by_id = answers(stdout)
    assert sorted(by_id) == [1, 2, 3, 4, 5] and all("result" in a for a in by_id.values())
    assert by_id[4]["result"]["revision"] == 1 and by_id[4]["result"]["canRedo"]
    assert by_id[5]["result"]["image"]["path"] == str(tmp_path / "cat-session.png")
    progress = [json.loads(line)["params"]["progress"] for line in stdout.splitlines() if "notifications/progress" in line]
    assert progress == list(range(1, 13))
    assert Image.open(tmp_path / "cat-session.png").size == (64, 64)


def test_request_files(tmp_path):
    out = REPO / "Examples" / "out"
    produced = ["generated.png", "tiny16-inpainted.png", "tiny16-outpainted.png", "cat-class-edit.webp"]
    for name in produced:
        (out / name).unlink(missing_ok=True)
    by_id = answers(run(["bash", "Examples/shell/request_files.sh"], tmp_path))
    files = sorted((REPO / "Examples" / "requests").glob("*.json"))
    assert sorted(by_id) == [json.loads(f.read_text())["id"] for f in files]
    assert all("result" in a for a in by_id.values()), [a.get("error") for a in by_id.values()]
    sizes = {name: Image.open(out / name).size for name in produced}
    assert sizes == {"generated.png": (64, 64), "tiny16-inpainted.png": (16, 16),
                     "tiny16-outpainted.png": (32, 24), "cat-class-edit.webp": (64, 64)}
    for name in produced:
        (out / name).unlink()


def test_iterative_edits_python(tmp_path):
    stdout = run([sys.executable, "Examples/python/iterative_edits.py",
                  "--out", str(tmp_path)], tmp_path)
    assert "undo: revision 1, can redo: True" in stdout
    assert Image.open(tmp_path / "iterative-final.png").size == (96, 64)
    assert Image.open(tmp_path / "iterative-1-inpaint.png").size == (64, 64)
