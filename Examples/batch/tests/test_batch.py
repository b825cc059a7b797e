"""`maskgit-cli batch` end to end on the release binary: folders and manifests, a bad item in the
middle, resume after SIGKILL, shards covering the manifest exactly once, byte-identical reruns,
the GNU parallel and Ray launchers (a local Ray cluster the test starts and stops), progress on a
terminal, and the Kubernetes Indexed Job manifest. Most tests use the tiny random model with few
steps (its pictures are noise; the batch machinery is real); one uses the default model."""
import json
import os
import pathlib
import pty
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest
from PIL import Image

REPO = pathlib.Path(__file__).resolve().parents[3]
HERE = REPO / "Examples" / "batch"
CLI = pathlib.Path(os.environ.get("MASKGIT_CLI") or REPO / ".build" / "release" / "maskgit-cli")
TINY = REPO / "Tests" / "EngineTests" / "Fixtures" / "tiny"
IMAGES = REPO / "Examples" / "images"
sys.path.insert(0, str(HERE))
import make_manifest  # noqa: E402


@pytest.fixture(autouse=True)
def built():
    if not os.access(CLI, os.X_OK):
        pytest.skip(f"{CLI} is not built: run `swift build -c release --product maskgit-cli` (scripts/test does)")


def batch(*args, env=None, check=True, model=TINY):
    command = [str(CLI), "batch", *map(str, args)]
    if model is not None:
        command += ["--model", str(model)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})
    if check:
        assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


def summary(done):
    return json.loads(done.stdout.strip().splitlines()[-1])


def records(out_dir):
    """Every parseable results line of every results file of out_dir (torn lines skipped)."""
    lines = []
    for path in sorted(pathlib.Path(out_dir).glob("results*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return lines


def outputs(out_dir):
    return {p.name: p.read_bytes() for p in pathlib.Path(out_dir).iterdir()
            if p.suffix in (".png", ".webp") and not p.name.startswith(".")}


def write_manifest(path, count, steps=2):
    path.write_text("".join(json.dumps(make_manifest.item(i, steps, seeds=False)) + "\n" for i in range(count)))
    return path


def manifest_ids(path):
    return [json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A 24-item manifest run once, unsharded: the outputs every other run must reproduce."""
    work = tmp_path_factory.mktemp("reference")
    manifest = write_manifest(work / "manifest.jsonl", 24)
    done = batch("--manifest", manifest, "--root", IMAGES, "--output", work / "out")
    assert summary(done)["ok"] == 24
    return manifest, outputs(work / "out"), records(work / "out")


def test_help_documents_batch():
    top = subprocess.run([str(CLI), "--help"], capture_output=True, text=True)
    assert "batch" in top.stdout
    done = subprocess.run([str(CLI), "batch", "--help"], capture_output=True, text=True)
    for flag in ("--manifest", "--images", "--masks", "--output", "--shard", "--shards", "JOB_COMPLETION_INDEX", "--retry-errors"):
        assert flag in done.stdout, flag


def test_manifest_results_and_derived_seeds(reference):
    manifest, out, recs = reference
    ids = manifest_ids(manifest)
    assert [r["id"] for r in recs] == ids
    assert sorted(out) == sorted(f"{i}.png" for i in ids)
    for r in recs:
        assert r["status"] == "ok" and r["seedDerived"] is True and isinstance(r["seed"], int)
        assert r["file"] == f"{r['id']}.png" and r["bytes"] == len(out[r["file"]])
        assert r["timings"]["totalMs"] > 0 and r["timings"]["itemMs"] > 0
    assert len({r["seed"] for r in recs}) == len(recs)
    # outpaint items grow the 64x64 image by 16 pixels on the right
    outpaint = next(r for r in recs if r["op"] == "outpaint")
    assert (outpaint["width"], outpaint["height"]) == (80, 64)


def test_byte_identical_rerun(reference, tmp_path):
    manifest, out, recs = reference
    done = batch("--manifest", manifest, "--root", IMAGES, "--output", tmp_path / "again")
    assert summary(done)["ok"] == len(out)
    assert outputs(tmp_path / "again") == out
    assert [r["seed"] for r in records(tmp_path / "again")] == [r["seed"] for r in recs]


def test_explicit_seed_is_used_and_changes_the_output(tmp_path):
    lines = [{"id": "a", "op": "generate", "class": 1, "steps": 2, "seed": 5},
             {"id": "b", "op": "generate", "class": 1, "steps": 2, "seed": 6},
             {"id": "c", "op": "generate", "class": 1, "steps": 2, "seed": 5}]
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    batch("--manifest", tmp_path / "m.jsonl", "--output", tmp_path / "out")
    recs = {r["id"]: r for r in records(tmp_path / "out")}
    assert recs["a"]["seed"] == 5 and recs["a"]["seedDerived"] is False
    out = outputs(tmp_path / "out")
    assert out["a.png"] == out["c.png"] != out["b.png"]


def test_bad_items_in_the_middle_are_recorded_and_the_batch_goes_on(tmp_path):
    good = lambda i: {"id": f"ok{i}", "op": "inpaint", "image": "cat.png", "mask": [[8, 8, 16, 16]], "class": 2, "steps": 2}
    lines = [json.dumps(good(0)),
             "{not json",
             json.dumps({"id": "missing", "op": "inpaint", "image": "nope.png", "mask": [[0, 0, 8, 8]], "class": 1}),
             json.dumps({"id": "badop", "op": "sharpen", "image": "cat.png"}),
             json.dumps({"id": "badclass", "op": "generate", "class": "no such class"}),
             json.dumps({"id": "badmask", "op": "inpaint", "image": "cat.png", "mask": "tiny16-mask.png", "class": 1}),
             json.dumps({"id": "ok0", "op": "generate", "class": 1}),
             json.dumps(good(1))]
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n")
    done = batch("--manifest", tmp_path / "m.jsonl", "--root", IMAGES, "--output", tmp_path / "out")
    s = summary(done)
    assert (s["ok"], s["errors"]) == (2, 6)
    recs = records(tmp_path / "out")
    assert len(recs) == 8
    reasons = {r["id"]: (r["error"]["code"], r["error"]["reason"]) for r in recs if r["status"] == "error"}
    assert reasons == {
        "line-2": (-32700, "parse_error"),
        "missing": (-32014, "io_failed"),
        "badop": (-32601, "method_not_found"),
        "badclass": (-32602, "invalid_params"),
        "badmask": (-32004, "mask_size_mismatch"),  # a 16x16 mask for a 64x64 image
        "ok0#line-7": (-32602, "duplicate_id"),
    }
    assert sorted(outputs(tmp_path / "out")) == ["ok0.png", "ok1.png"]
    # --strict turns recorded failures into exit status 3; a rerun skips them unless --retry-errors
    again = batch("--manifest", tmp_path / "m.jsonl", "--root", IMAGES, "--output", tmp_path / "out", "--strict", check=False)
    assert again.returncode == 3 and summary(again)["ran"] == 0 and summary(again)["skippedErrors"] == 6
    retried = batch("--manifest", tmp_path / "m.jsonl", "--root", IMAGES, "--output", tmp_path / "out", "--retry-errors")
    assert summary(retried)["ran"] == 6 and summary(retried)["skippedDone"] == 2


def test_folders_match_masks_by_name_and_white_regenerates(tmp_path):
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        shutil.copy(IMAGES / "cat.png", images / name)
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (0, 0, 16, 16))  # white top-left corner: regenerate it, keep the rest
    mask.save(masks / "a.png")
    mask.save(masks / "b.png")  # c has no mask
    done = batch("--images", images, "--masks", masks, "--output", tmp_path / "out", "--class", "1", "--params", '{"steps": 2}')
    recs = {r["id"]: r for r in records(tmp_path / "out")}
    assert recs["a"]["status"] == recs["b"]["status"] == "ok"
    assert recs["c"]["status"] == "error" and recs["c"]["error"]["reason"] == "mask_not_found"
    assert summary(done)["errors"] == 1
    source = Image.open(IMAGES / "cat.png").convert("RGB")
    edited = Image.open(tmp_path / "out" / "a.png").convert("RGB")
    far = [(x, y) for x in range(40, 64) for y in range(40, 64)]
    assert all(edited.getpixel(p) == source.getpixel(p) for p in far)
    assert any(edited.getpixel((x, y)) != source.getpixel((x, y)) for x in range(16) for y in range(16))


@pytest.mark.parametrize("fault", ["after-output:9", "mid-record:9"])
def test_resume_after_sigkill_completes_exactly_the_rest(reference, tmp_path, fault):
    manifest, out, _ = reference
    args = ("--manifest", manifest, "--root", IMAGES, "--output", tmp_path / "out")
    killed = batch(*args, env={"MASKGIT_BATCH_TEST_KILL": fault}, check=False)
    assert killed.returncode == -signal.SIGKILL
    first = [r for r in records(tmp_path / "out") if r["status"] == "ok"]
    assert len(first) == 8  # the 9th item's line is missing (after-output) or torn (mid-record)
    text = (tmp_path / "out" / "results.jsonl").read_text()
    assert text.endswith("\n") == fault.startswith("after-output")
    # a temporary file of an interrupted write (ImageOutput's .NAME.UUID.tmp) is cleaned up
    stale = tmp_path / "out" / ".item-00020.png.0123-abcd.tmp"
    stale.write_bytes(b"partial")
    done = batch(*args)
    assert not stale.exists()
    strict = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]  # all valid JSON
    assert len(strict) == len(out)
    s = summary(done)
    assert (s["skippedDone"], s["ran"], s["ok"]) == (8, len(out) - 8, len(out) - 8)
    recs = records(tmp_path / "out")
    ids = [r["id"] for r in recs]
    assert sorted(ids) == sorted(manifest_ids(manifest)) and len(ids) == len(set(ids))
    assert outputs(tmp_path / "out") == out


def test_resume_after_sigkill_from_outside(reference, tmp_path):
    """A real kill at an arbitrary moment (whenever three results are in): the rerun completes
    exactly what the first run did not, whatever state the kill left."""
    manifest = write_manifest(tmp_path / "m.jsonl", 60)
    args = [str(CLI), "batch", "--manifest", str(manifest), "--root", str(IMAGES), "--output", str(tmp_path / "out"),
            "--model", str(TINY), "--quiet"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = tmp_path / "out" / "results.jsonl"
    while proc.poll() is None and (not results.exists() or results.read_text().count("\n") < 3):
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    complete = {r["id"] for r in records(tmp_path / "out")
                if r["status"] == "ok" and (tmp_path / "out" / r["file"]).stat().st_size == r["bytes"]}
    s = summary(batch("--manifest", manifest, "--root", IMAGES, "--output", tmp_path / "out"))
    assert s["skippedDone"] == len(complete) and s["ran"] == 60 - len(complete) and s["errors"] == 0
    ok = [r["id"] for r in records(tmp_path / "out") if r["status"] == "ok"]
    assert sorted(set(ok)) == sorted(manifest_ids(manifest))
    reference_run = tmp_path / "reference"
    batch("--manifest", manifest, "--root", IMAGES, "--output", reference_run)
    assert outputs(tmp_path / "out") == outputs(reference_run)


@pytest.mark.parametrize("key", ["hash", "index"])
def test_shards_cover_the_manifest_exactly_once(reference, tmp_path, key):
    manifest, out, _ = reference
    for i in range(3):
        batch("--manifest", manifest, "--root", IMAGES, "--output", tmp_path / "out", "--shard", f"{i}/3", "--shard-by", key)
    per_shard = [[json.loads(l)["id"] for l in (tmp_path / "out" / f"results-{i}-of-3.jsonl").read_text().splitlines()]
                 for i in range(3)]
    flat = [i for shard in per_shard for i in shard]
    assert sorted(flat) == sorted(manifest_ids(manifest)) and len(flat) == len(set(flat))
    assert all(per_shard), per_shard  # every shard got work
    if key == "index":
        assert per_shard[1] == manifest_ids(manifest)[1::3]
    assert outputs(tmp_path / "out") == out
    # the shard index from the environment (Kubernetes Indexed Jobs) picks the same subset
    env_run = batch("--manifest", manifest, "--root", IMAGES, "--output", tmp_path / "env", "--shards", "3", "--shard-by", key,
                    env={"JOB_COMPLETION_INDEX": "1"})
    assert summary(env_run)["shard"] == "1/3"
    assert [r["id"] for r in records(tmp_path / "env")] == per_shard[1]


def test_shards_flag_without_the_index_is_refused(reference, tmp_path):
    manifest, _, _ = reference
    env = {k: v for k, v in os.environ.items() if k != "JOB_COMPLETION_INDEX"}
    done = subprocess.run([str(CLI), "batch", "--manifest", str(manifest), "--output", str(tmp_path), "--shards", "2"],
                          capture_output=True, text=True, env=env)
    assert done.returncode != 0 and "JOB_COMPLETION_INDEX" in done.stderr


def test_gnu_parallel_launcher(reference, tmp_path):
    if shutil.which("parallel") is None:
        pytest.skip("GNU parallel is not installed (scripts/setup installs the Debian package `parallel`)")
    manifest, out, _ = reference
    command = [str(HERE / "parallel.sh"), "2", "--manifest", str(manifest), "--root", str(IMAGES),
               "--output", str(tmp_path / "out"), "--model", str(TINY), "--quiet"]
    # the first run's workers are killed (SIGKILL) after their 4th output; the second run resumes
    killed = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "MASKGIT_CLI": str(CLI), "MASKGIT_BATCH_TEST_KILL": "after-output:4"})
    assert killed.returncode != 0
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, "MASKGIT_CLI": str(CLI)})
    assert done.returncode == 0, done.stderr[-3000:]
    shards = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(s["shard"] for s in shards) == ["0/2", "1/2"]
    assert sum(s["ok"] + s["skippedDone"] for s in shards) == len(out) and 0 < sum(s["skippedDone"] for s in shards) <= 6
    ids = [r["id"] for r in records(tmp_path / "out")]
    assert sorted(ids) == sorted(manifest_ids(manifest)) and len(ids) == len(set(ids))
    assert outputs(tmp_path / "out") == out


def test_ray_launcher_on_a_local_cluster(reference, tmp_path):
    try:
        import ray  # noqa: F401
    except ImportError as error:
        pytest.skip(f"ray cannot be imported ({error}); it is pinned in Training/requirements.txt")
    manifest, out, _ = reference
    # The driver starts a local cluster (2 CPUs) in its own temporary directory and shuts it down
    # (a short path: Ray's unix sockets live under it).
    ray_tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    # Each shard's first process is killed (SIGKILL) after its 3rd output: Ray retries the task
    # and the retry resumes.
    env = {**os.environ, "MASKGIT_CLI": str(CLI), "RAY_TMPDIR": ray_tmp, "MASKGIT_BATCH_TEST_KILL": "after-output:3"}
    env.pop("RAY_ADDRESS", None)
    try:
            done = subprocess.run([sys.executable, str(HERE / "ray_batch.py"), "--shards", "3", "--num-cpus", "2", "--",
                               "--manifest", str(manifest), "--root", str(IMAGES), "--output", str(tmp_path / "out"),
                               "--model", str(TINY), "--shard-by", "index"],
                              capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    shards = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert sorted(s["shard"] for s in shards) == ["0/3", "1/3", "2/3"]
    assert all(s["skippedDone"] == 2 for s in shards), shards  # each retry found 2 items done
    assert sum(s["ok"] + s["skippedDone"] for s in shards) == len(out)
    ids = [r["id"] for r in records(tmp_path / "out")]
    assert sorted(ids) == sorted(manifest_ids(manifest)) and len(ids) == len(set(ids))
    assert outputs(tmp_path / "out") == out


def test_progress_bar_on_a_terminal_and_plain_lines_otherwise(reference, tmp_path):
    manifest, out, _ = reference
    plain = batch("--manifest", manifest, "--root", IMAGES, "--output", tmp_path / "plain")
    lines = [l for l in plain.stderr.splitlines() if "items/s, ETA" in l]
    assert len(lines) == len(out) and "\r" not in plain.stderr and f"[{len(out)}/{len(out)}]" in lines[-1]
    # under a pseudo-terminal: one line redrawn with \r, a bar, the rate and the ETA
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(CLI), "batch", "--manifest", str(manifest), "--root", str(IMAGES),
                             "--output", str(tmp_path / "tty"), "--model", str(TINY)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert proc.wait() == 0
    os.close(master)
    text = b"".join(chunks).decode()
    assert text.count("\r") >= len(out) and "ETA" in text and "items/s" in text and f"] {len(out)}/{len(out)}" in text


def test_default_model_batch(tmp_path):
    """The shipped model through the same path, with few steps: real pictures, recorded seeds."""
    lines = [make_manifest.item(i, steps=2, seeds=False) for i in range(5)]
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    if not (REPO / "Models" / "default" / "transformer.safetensors").exists():
        pytest.skip("Models/default is not in this checkout")
    done = batch("--manifest", tmp_path / "m.jsonl", "--root", IMAGES, "--output", tmp_path / "out",
                 model=REPO / "Models" / "default")
    assert summary(done)["ok"] == 5
    sizes = {r["id"]: (r["width"], r["height"]) for r in records(tmp_path / "out")}
    assert sizes == {"item-00000": (64, 64), "item-00001": (64, 64), "item-00002": (64, 64),
                     "item-00003": (64, 64), "item-00004": (80, 64)}


def test_kubernetes_indexed_job_manifest():
    yaml = pytest.importorskip("yaml", reason="PyYAML is pinned in Training/requirements.txt")
    job = yaml.safe_load((HERE / "k8s" / "indexed-job.yaml").read_text())
    assert job["apiVersion"] == "batch/v1" and job["kind"] == "Job"
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"  # required by backoffLimitPerIndex
    assert spec["backoffLimitPerIndex"] >= 1
    (container,) = pod["containers"]
    command = container["command"]
    assert command[:2] == ["maskgit-cli", "batch"]
    shards = int(command[command.index("--shards") + 1])
    assert spec["completions"] == spec["parallelism"] == shards
    assert "JOB_COMPLETION_INDEX" not in {e["name"] for e in container.get("env", [])}  # Kubernetes sets it
    # the manifest and the output folder are on the mounted volume, which is a claim
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    for flag in ("--manifest", "--output"):
        path = command[command.index(flag) + 1]
        assert any(path.startswith(mount + "/") for mount in mounts.values()), path
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert set(mounts) <= set(volumes) and all("persistentVolumeClaim" in volumes[n] for n in mounts)
    # every flag of the command is one maskgit-cli batch knows
    known = subprocess.run([str(CLI), "batch", "--help"], capture_output=True, text=True).stdout
    assert all(arg in known for arg in command[2:] if arg.startswith("--"))
