"""Every example in README.md, Protocol/README.md, Clients/python/README.md and Examples/ runs
as written on the default model: the shell and Python blocks are run from the repository root
(Python with the checkout's client on the path, as `pip install Clients/python` would give),
and the `→` lines of the protocol transcripts are sent to a fresh server whose answers must
match the `←` lines shown. Blocks that cannot run in a test are listed in NOT_RUN with the
reason; a new block must run or be listed there. The GIMP Script-Fu line is run by
Clients/gimp/tests (test_gimp.py::test_readme_script_fu_line)."""
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BINARY = pathlib.Path(os.environ.get("MASKGIT_RPC_BIN") or REPO / ".build" / "release" / "maskgit-rpc")
DOCS = ["README.md", "Protocol/README.md", "Protocol/schema/README.md", "Clients/python/README.md", "Examples/README.md"]

#: First line of each block that is not run here, and why.
NOT_RUN = {
    "scripts/test": "the command that runs this test",
    'curl -O "https://download.swift.org/swiftly/linux/swiftly-$(uname -m).tar.gz"':
        "installs Swift from the internet (scripts/tests/test_setup.py tests the check that prints it)",
    "swift build -c release --product maskgit-bench && .build/release/maskgit-bench --repeats 3":
        "a benchmark of minutes (Docs/Benchmarks.md)",
    "scripts/setup --gimp && swift build -c release --product maskgit-rpc":
        "installs GIMP and the plug-in into the user's profile (Clients/gimp/tests install it into a fresh one)",
    "swift build -c release --product maskgit-rpc\n.venv/bin/python Protocol/tools/generate_openrpc.py":
        "the maintainer's regeneration (Protocol/tests runs generate_openrpc.py --check)",
    "mkdir -p ~/maskgit/imagenet256 && cd ~/maskgit/imagenet256":
        "downloads the official checkpoints (900 MB) from the internet",
    ".build/release/maskgit-rpc --model ~/maskgit/imagenet256":
        "needs the official checkpoints (Clients/python/tests/test_imagenet_names.py serves an official-shaped fixture)",
    "swift build -c release --product maskgit-cli\nmkdir -p ~/maskgit/imagenet256-st":
        "needs the official checkpoints (EngineTests/ImageNetClassNamesTests converts an official-shaped fixture)",
    "swift build -c release --product maskgit-rpc\npython3 -m venv /tmp/maskgit-venv":
        "a pip install (Clients/python/tests/test_packaging.py installs the wheel and sdist into fresh venvs)",
}


def blocks(doc):
    """(language, text, line) of each fenced block."""
    found, lines, i = [], (REPO / doc).read_text().splitlines(), 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if m:
            start, body = i + 1, []
            i += 1
            while not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            found.append((m.group(1), "\n".join(body), start))
        i += 1
    return found


def skipped(text):
    return next((reason for head, reason in NOT_RUN.items() if text.startswith(head)), None)


def all_blocks():
    return [(doc, *b) for doc in DOCS for b in blocks(doc)]


def runnable(kind):
    out = []
    for doc, lang, text, line in all_blocks():
        if skipped(text):
            continue
        if kind == "sh" and lang == "sh":
            out.append(pytest.param(text, id=f"{doc}:{line}"))
        if kind == "python" and lang == "python":
            out.append(pytest.param(text, id=f"{doc}:{line}"))
        if kind == "transcript" and lang == "" and "\n→ " in "\n" + text:
            out.append(pytest.param(text, id=f"{doc}:{line}"))
    return out


@pytest.fixture(autouse=True)
def built():
    if not os.access(BINARY, os.X_OK):
        pytest.skip(f"{BINARY} is not built: run `swift build -c release --product maskgit-rpc` (scripts/test does)")


def test_every_block_is_run_or_excused():
    kinds = {"sh", "python"}
    for doc, lang, text, line in all_blocks():
        if skipped(text) or lang in kinds:
            continue
        # Unlabelled blocks: transcripts (run below) or fragments of answers shown for reading.
        assert lang == "", f"{doc}:{line}: a ```{lang} block; label it sh or python so it runs, or list it in NOT_RUN"
    stale = [head for head in NOT_RUN if not any(t.startswith(head) for _, _, t, _ in all_blocks())]
    assert not stale, f"NOT_RUN lists blocks that no longer exist: {stale}"


def env():
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO / "Clients" / "python")
    e["PATH"] = f"{pathlib.Path(sys.executable).parent}:{e.get('PATH', '')}"
    e.pop("MASKGIT_MODEL", None)
    e.pop("MASKGIT_MODEL_ARGS", None)
    return e


@pytest.mark.parametrize("text", runnable("sh"))
def test_shell_block(text):
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", text], cwd=REPO, env=env(), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, f"{text}\nfailed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            assert "error" not in json.loads(line), line


@pytest.mark.parametrize("text", runnable("python"))
def test_python_block(text, tmp_path):
    script = tmp_path / "block.py"
    script.write_text(text)
    done = subprocess.run([sys.executable, str(script)], cwd=REPO, env=env(), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"{text}\nfailed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


SCALAR = re.compile(r'"(\w+)":("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)')
#: Values that differ from run to run or machine to machine (a cancel can find its request still
#: queued or already decoding: where it stopped is up to timing, not to the protocol; the compute
#: facts of `initialize` describe the machine's CPU and core count).
VARIABLE = {"totalMs", "version", "bytes", "stage", "completedSteps", "backend", "isa", "precision", "nativeBF16", "threads"}
OPEN_S1 = '{"jsonrpc":"2.0","id":"setup","method":"session.open","params":{"image":{"path":"Examples/images/cat.png"}}}'


def shown_pairs(line):
    return [(k, v) for k, v in SCALAR.findall(line) if k not in VARIABLE]


@pytest.mark.parametrize("text", runnable("transcript"))
def test_transcript(text):
    sent = [line[2:].split("   ")[0].strip() for line in text.splitlines() if line.startswith("→ ")]
    shown = [line[2:] for line in text.splitlines() if line.startswith("← ")]
    if '"s1"' in text and '"session.open"' not in text:
        sent.insert(0, OPEN_S1)
    done = subprocess.run([str(BINARY), "--quiet"], input="\n".join(sent) + "\n", cwd=REPO, env=env(),
                          capture_output=True, text=True, timeout=300)
    got = [line for line in done.stdout.splitlines() if line.strip()]
    for expected in shown:
        # Find the answer the shown line stands for: same id, or the same progress notification.
        m = re.search(r'"id":("[^"]*"|\d+)', expected)
        if m and '"method":"notifications/progress"' not in expected:
            key = f'"id":{m.group(1)},'
            candidates = [g for g in got if key in g and '"method"' not in g[:40]]
        else:
            progress = re.search(r'"progress":(\d+)', expected).group(1)
            candidates = [g for g in got if '"notifications/progress"' in g and f'"progress":{progress},' in g]
        assert candidates, f"no answer for {expected}\ngot:\n" + "\n".join(got)
        answer = candidates[0]
        for key, value in shown_pairs(expected):
            assert f'"{key}":{value}' in answer, f"{key}={value} shown but the server said:\n{answer}"
    assert done.returncode == 0, done.stderr
