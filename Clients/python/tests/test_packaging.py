"""The client as a Python user installs it: `python -m build` makes a wheel and an sdist (and no
build/ folder in the source tree), a fresh venv installs them with pip, and the installed
package finds the server through its argument, `$MASKGIT_RPC` or `PATH`, and says what it tried
when it cannot. mypy --strict passes over the package (it ships py.typed)."""
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile

import pytest

from conftest import REPO

SOURCE = REPO / "Clients" / "python"


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """wheel and sdist built from a copy of Clients/python (so the test leaves the checkout alone)."""
    work = tmp_path_factory.mktemp("build")
    src = work / "src"
    shutil.copytree(SOURCE, src, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache"))
    out = work / "dist"
    # --no-isolation: the pinned flit_core of .venv (Training/requirements.txt), no download.
    done = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (src / "build").exists() and not list(src.glob("*.egg-info")), "the build left files in the source tree"
    wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, list(out.iterdir())
    return wheels[0], sdists[0]


def test_the_wheel_and_sdist_carry_the_package_and_py_typed(dist):
    wheel, sdist = dist
    names = zipfile.ZipFile(wheel).namelist()
    assert "maskgit_rpc/py.typed" in names and "maskgit_rpc/client.py" in names
    assert not any(n.startswith("tests/") for n in names)
    with tarfile.open(sdist) as tar:
        members = tar.getnames()
    assert any(m.endswith("maskgit_rpc/py.typed") for m in members)
    assert any(m.endswith("pyproject.toml") for m in members)


PROBE = textwrap.dedent("""
    import json, os, sys
    import maskgit_rpc
    from maskgit_rpc import Client, find_binary
    out = {"file": maskgit_rpc.__file__, "repo_binary": maskgit_rpc.REPO_BINARY}
    mode = sys.argv[1]
    try:
        if mode == "argument":
            client = Client(sys.argv[2], initialize=False)
        else:
            client = Client(initialize=False)
        with client:
            out["command"] = client.command[0]
            out["models"] = [m["name"] for m in client.models(classes=False)]
    except FileNotFoundError as error:
        out["error"] = str(error)
    print(json.dumps(out, default=str))
""")


@pytest.fixture(scope="module", params=["wheel", "sdist"])
def venv(request, dist, tmp_path_factory):
    """A fresh venv with only the client installed (--no-deps: pillow is not needed to talk to
    the server, and the test stays offline)."""
    where = tmp_path_factory.mktemp(f"venv-{request.param}")
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    python = where / "bin" / "python"
    package = dist[0] if request.param == "wheel" else dist[1]
    extra = ["--no-build-isolation"] if request.param == "sdist" else []
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    if request.param == "sdist":  # building from the sdist needs flit_core in that venv: a copy of .venv's
        import flit_core
        site = next((where / "lib").glob("python3*/site-packages"))
        shutil.copytree(pathlib.Path(flit_core.__file__).parent, site / "flit_core",
                        ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", *extra, str(package)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return python


def probe(python, tmp_path, *args, path=None, env_var=None):
    env = {k: v for k, v in os.environ.items() if k not in ("MASKGIT_RPC", "MASKGIT_RPC_BIN", "PYTHONPATH")}
    env["PATH"] = path if path is not None else "/usr/bin:/bin"
    if env_var is not None:
        env["MASKGIT_RPC"] = env_var
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    done = subprocess.run([str(python), str(script), *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    import json
    return json.loads(done.stdout)


def test_the_installed_client_finds_the_server_three_ways(venv, binary, tmp_path):
    by_argument = probe(venv, tmp_path, "argument", str(binary))
    assert str(venv.parent.parent) in by_argument["file"], "not the installed copy"
    assert by_argument["repo_binary"] is None, "an installed package has no checkout to fall back on"
    assert by_argument["command"] == str(binary) and by_argument["models"] == ["default"]

    by_env = probe(venv, tmp_path, "env", env_var=str(binary))
    assert by_env["command"] == str(binary) and by_env["models"] == ["default"]

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "maskgit-rpc").symlink_to(binary)
    by_path = probe(venv, tmp_path, "path", path=f"{bin_dir}:/usr/bin:/bin")
    assert by_path["command"] == str(bin_dir / "maskgit-rpc") and by_path["models"] == ["default"]


def test_the_installed_client_says_what_it_tried(venv, tmp_path):
    missing = probe(venv, tmp_path, "path", path="/usr/bin:/bin")
    error = missing["error"]
    assert "maskgit-rpc not found; tried the binary argument (not given); $MASKGIT_RPC (not set); " \
           "maskgit-rpc on PATH (/usr/bin:/bin)" in error
    assert "swift build -c release --product maskgit-rpc" in error
    wrong = probe(venv, tmp_path, "env", env_var=str(tmp_path / "nothing-here"))
    assert f"$MASKGIT_RPC is {str(tmp_path / 'nothing-here')!r}, which is not an executable file" in wrong["error"]


def test_mypy_strict_is_clean():
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null", "maskgit_rpc"],
                          cwd=SOURCE, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout
