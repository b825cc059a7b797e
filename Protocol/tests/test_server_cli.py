"""The maskgit-rpc command line as a user meets it: --version, a readable --help (the example is
one line that can be copied), `error:` for a fatal failure, and a hint when a pretty-printed
(multi-line) request is piped in."""
import json
import os
import pathlib
import re
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BINARY = pathlib.Path(os.environ.get("MASKGIT_RPC_BIN") or REPO / ".build" / "release" / "maskgit-rpc")


@pytest.fixture(autouse=True)
def built():
    if not os.access(BINARY, os.X_OK):
        pytest.skip(f"{BINARY} is not built: run `swift build -c release --product maskgit-rpc` (scripts/test does)")


def run(*args, stdin="", columns="80"):
    env = dict(os.environ, COLUMNS=columns)
    return subprocess.run([str(BINARY), *args], input=stdin, capture_output=True, text=True, env=env, timeout=120)


def test_version():
    done = run("--version")
    assert done.returncode == 0
    version = json.loads((REPO / "Protocol" / "openrpc.json").read_text())["info"]["version"]
    assert re.fullmatch(rf"maskgit-rpc \d+\.\d+\.\d+ \(protocol {version}\)\n", done.stdout), done.stdout


@pytest.mark.parametrize("columns", ["80", "100"])
def test_help_shows_the_example_as_one_line_that_runs(columns):
    done = run("--help", columns=columns)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    example = [line for line in lines if "| maskgit-rpc" in line]
    assert len(example) == 1, "the example is wrapped:\n" + done.stdout
    command = example[0].strip()
    assert command.startswith("echo '{") and command.endswith("}' | maskgit-rpc")
    # ... and it works as printed (with this build's binary for `maskgit-rpc`).
    request = command[len("echo '"):command.index("}' |") + 1]
    answer = json.loads(run("--quiet", stdin=request + "\n").stdout)
    assert answer["id"] == 1 and answer["result"]["models"][0]["name"] == "default"


def test_a_fatal_model_load_failure_says_error():
    done = run("--model", "/nonexistent/model")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("maskgit-rpc: error: cannot load a model: no model in /nonexistent/model"), done.stderr
    assert "warning:" not in done.stderr


def test_a_pretty_printed_request_gets_a_hint_on_each_line():
    pretty = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "models.list", "params": {"classes": False}}, indent=2)
    done = run("--quiet", stdin=pretty + "\n")
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == len(pretty.splitlines())
    for answer in answers:
        assert answer["id"] is None and answer["error"]["code"] == -32700
        assert "tr -d '\\n' < request.json" in answer["error"]["data"]["hint"]
        assert "one JSON-RPC message per line" in answer["error"]["message"]
    # The same request on one line is answered normally.
    compact = run("--quiet", stdin=json.dumps(json.loads(pretty)) + "\n")
    assert "result" in json.loads(compact.stdout)
