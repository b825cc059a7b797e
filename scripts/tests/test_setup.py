"""scripts/setup and scripts/demo check the Swift toolchain before anything else and explain how to
install it when it is missing, too old, or not the language (Debian's `swift` is OpenStack Swift)."""
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# What the scripts need up to the Swift check; swift itself deliberately not among them.
TOOLS = ["bash", "env", "sed", "head", "sort", "cat", "dirname", "mkdir", "pwd", "grep", "uname"]


def fake_path(tmp_path, swift_script=None):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    if swift_script is not None:
        swift = bin_dir / "swift"
        swift.write_text("#!/bin/sh\n" + swift_script)
        swift.chmod(0o755)
    return str(bin_dir)


def run(script, path, *args):
    env = {"PATH": path, "HOME": os.environ.get("HOME", "/root")}
    return subprocess.run([str(ROOT / "scripts" / script), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def needed_version():
    first = (ROOT / "Package.swift").read_text().splitlines()[0]
    return first.split(":", 1)[1].strip()


@pytest.mark.parametrize("script", ["setup", "demo"])
def test_missing_swift_stops_with_install_instructions(tmp_path, script):
    result = run(script, fake_path(tmp_path), *(["/tmp/maskgit-demo-test"] if script == "demo" else []))
    assert result.returncode == 1, result
    assert result.stdout == ""
    err = result.stderr
    assert err.startswith("error: no Swift toolchain: `swift` is not on PATH"), err
    assert f"Swift toolchain {needed_version()} or newer" in err
    assert "OpenStack Swift" in err
    assert "https://download.swift.org/swiftly/linux/swiftly-$(uname -m).tar.gz" in err
    assert "./swiftly init" in err
    assert "https://www.swift.org/install/linux/" in err
    # Stopped before installing anything or building.
    assert "setup: installing" not in err and "Compiling" not in err


def test_too_old_swift_is_refused(tmp_path):
    path = fake_path(tmp_path, 'echo "Swift version 5.9.2 (swift-5.9.2-RELEASE)"\n')
    result = run("setup", path)
    assert result.returncode == 1
    assert f"error: Swift 5.9.2 at {tmp_path}/bin/swift is older than {needed_version()}" in result.stderr


def test_openstack_swift_is_not_taken_for_the_language(tmp_path):
    # python3-swiftclient's `swift` prints a usage text, no "Swift version".
    path = fake_path(tmp_path, 'echo "usage: swift [--version] [--help] [--os-help] ..."; exit 2\n')
    result = run("setup", path)
    assert result.returncode == 1
    assert "is not the Swift language toolchain" in result.stderr
    assert "OpenStack Swift" in result.stderr


def test_new_enough_swift_passes_the_check(tmp_path):
    path = fake_path(tmp_path, 'echo "Swift version 99.0 (swift-99.0-RELEASE)"\n')
    result = run("check-swift", path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
