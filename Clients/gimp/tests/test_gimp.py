"""The MaskGIT GIMP plug-in in real headless GIMP 2.10, with the tiny random-weight model.

run-tests.sh builds and installs the plug-in into a temporary GIMP profile, runs three
gimp-console sessions (Script-Fu: main.scm, restart.scm, a missing backend) and leaves PNGs and a
facts file; these tests assert on them. The tiny model paints noise, so the checks are about
geometry, bit-exactness outside the edited region, determinism and the resident backend.
Skipped when gimp-console-2.10 or gimptool-2.0 is missing (scripts/setup --gimp installs them).
Set MASKGIT_GIMP_TEST_OUT to a folder run-tests.sh already filled to skip the GIMP runs.
"""
import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    given = os.environ.get("MASKGIT_GIMP_TEST_OUT")
    if given:
        return Path(given)
    missing = [t for t in ("gimp-console-2.10", "gimptool-2.0") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not found: GIMP plug-in tests need GIMP 2.10 "
                    "(scripts/setup --gimp, or apt-get install gimp libgimp2.0-dev)")
    if not (REPO / ".build/release/maskgit-rpc").exists() and shutil.which("swift") is None:
        pytest.skip("no .build/release/maskgit-rpc and no swift toolchain to build it")
    out = tmp_path_factory.mktemp("gimp")
    p = subprocess.run([str(HERE / "run-tests.sh"), str(out)], capture_output=True, text=True, timeout=600)
    if p.returncode == 77:
        pytest.skip(p.stdout.strip())
    assert p.returncode == 0, p.stdout + p.stderr
    return out


class Facts:
    """facts.txt: "TAG KEY values..." lines; parasites are JSON."""

    def __init__(self, path):
        self.lines = {}
        for line in Path(path).read_text().splitlines():
            tag, key, *rest = line.strip().split(" ", 2) + [""]
            self.lines[(tag, key)] = rest[0].strip()

    def __call__(self, tag, key):
        assert (tag, key) in self.lines, f"no fact {tag} {key}"
        return self.lines[(tag, key)]

    def ints(self, tag, key):
        return [int(v) for v in self(tag, key).split() if v.lstrip("-").isdigit()]

    def status(self, tag):
        words = self(tag, "pid").split()
        return {"pid": int(words[0]), **{words[i]: int(words[i + 1]) for i in range(1, len(words) - 1, 2)}}

    def parasite(self, tag):
        return json.loads(self(tag, "parasite"))


@pytest.fixture(scope="module")
def facts(run):
    return Facts(run / "out/facts.txt")


def png(path):
    return np.asarray(Image.open(path))


def editable(shape, selection, parasite):
    """Pixels the edit may change: the selection, plus the regenerated tokens of every window
    (MaskGIT composites whole tokens, as the official code does) grown by the feather band."""
    h, w = shape
    allowed = np.zeros((h, w), bool)
    allowed |= selection
    band = math.ceil(4 * parasite.get("featherRadius", 0)) + 1
    for win in parasite["windows"]:
        rows = win["tokenMask"]["rows"]
        gh, gw = len(rows), len(rows[0])
        for r, row in enumerate(rows):
            for c, bit in enumerate(row):
                if bit != "1":
                    continue
                y0 = win["y"] + r * win["height"] / gh - band
                y1 = win["y"] + (r + 1) * win["height"] / gh + band
                x0 = win["x"] + c * win["width"] / gw - band
                x1 = win["x"] + (c + 1) * win["width"] / gw + band
                allowed[max(0, math.floor(y0)):max(0, math.ceil(y1)), max(0, math.floor(x0)):max(0, math.ceil(x1))] = True
    return allowed


def rect_mask(shape, x, y, w, h):
    m = np.zeros(shape, bool)
    m[y:y + h, x:x + w] = True
    return m


def check_outside_unchanged(before, after, selection, parasite):
    allowed = editable(before.shape[:2], selection, parasite)
    changed = np.any(before != after, axis=-1) if before.ndim == 3 else before != after
    assert not np.any(changed & ~allowed), f"{int(np.sum(changed & ~allowed))} pixels changed outside the edit"
    assert np.any(changed & selection), "nothing changed inside the selection"
    assert np.sum(~allowed) > 0


# ---- main run ---------------------------------------------------------------------------------

def test_inpaint_adds_a_named_layer_on_top(facts):
    assert facts.ints("inpaint1", "position") == [0, 2]          # on top, 2 layers now
    assert facts("inpaint1", "name") == "MaskGIT inpaint seed 1234"
    assert facts.ints("inpaint1", "geometry") == [0, 0, 64, 48]
    assert facts.ints("inpaint2", "position") == [0, 3]          # the newest result on top again
    assert facts.ints("random", "position") == [0, 4]


def test_the_newest_result_is_what_the_composite_shows(run):
    # Three results of the same source: the composite is the last one (an earlier result of the
    # same source does not hide it), and it differs from the earlier ones inside the selection.
    composite = png(run / "out/composite-after-random.png")[..., :3]
    newest = png(run / "out/random.png")[..., :3]
    first = png(run / "out/inpaint1.png")[..., :3]
    assert np.array_equal(composite, newest)
    # The tiny random-weight model's logits are so peaked that its four regenerated tokens come out
    # the same for every seed and class; the third edit's feather (2.0, radius 5) still makes it
    # differ from the first one along the selection's border, so the equality above is not vacuous.
    differs = np.any(composite != first, axis=-1)
    assert np.any(differs), "the composite still shows the first result"
    assert not np.any(differs[:5]) and not np.any(differs[31:]), "pixels changed beyond the feather band"


def test_source_layer_is_untouched(run):
    assert np.array_equal(png(run / "in/rgb.png"), png(run / "out/rgb-source-after.png"))


def test_inpaint_changes_only_the_selection_and_its_tokens(run, facts):
    check_outside_unchanged(png(run / "in/rgb.png"), png(run / "out/inpaint1.png"),
                            rect_mask((48, 64), 10, 10, 20, 16), facts.parasite("inpaint1"))


def test_same_seed_gives_the_same_pixels(run):
    assert np.array_equal(png(run / "out/inpaint1.png"), png(run / "out/inpaint2.png"))


def test_two_inpaints_share_one_backend_and_one_session(facts):
    s = facts.status("after-two-inpaints")
    assert s["pid"] > 0 and s["starts"] == 1
    assert s["opened"] == 1 and s["reused"] == 1
    end = facts.status("end")
    assert end["pid"] == s["pid"] and end["starts"] == 1   # the whole run: one backend process


def test_editing_a_result_layer_adopts_the_results_tokens(run, facts):
    # main.scm: inpaint the source (the "first" result), inpaint the source elsewhere (which drops
    # the first result from the source session's redo future), then inpaint the first result's
    # layer: its session.open adopts the token grid of the fork the backend made of that result.
    before, after = facts.status("before-result-edit"), facts.status("after-result-edit")
    assert before["forked"] >= 2 and after["forked"] == before["forked"] + 1
    assert after["opened"] == before["opened"] + 1          # the result layer got its own session
    assert after["adopted"] == before["adopted"] + 1
    assert after["known"] > before["known"]                 # it started with known tokens
    log = (run / "profile/maskgit-gimp.log").read_text()
    assert "(a result fork, now closed)" in log
    # The edit is valid relative to the result layer: only its selection (and that edit's
    # tokens and feather band) changed; the first result's own edit is not undone.
    first, edited = png(run / "out/result-source.png"), png(run / "out/result-edit.png")
    assert facts.ints("result-edit", "geometry") == [0, 0, 64, 48]
    check_outside_unchanged(first, edited, rect_mask((48, 64), 14, 14, 6, 6), facts.parasite("result-edit"))
    source = png(run / "in/rgb.png")
    assert np.any(np.any(first[..., :3] != source[..., :3], axis=-1)[10:18, 10:18])


def test_statuses_count_forks(facts):
    s = facts.status("end")
    assert s["forked"] == s["edits"] - 2   # every edit of a layer forks its result; the two generates have no session
    assert s["adopted"] >= 1 and s["known"] > 0


def test_parasite_holds_the_request_and_the_seed_used(facts):
    p = facts.parasite("inpaint1")
    assert p["method"] == "inpaint" and p["model"] == "tiny"
    assert p["params"] == {"seed": 1234, "class": 3}
    r = facts.parasite("random")
    seed = int(facts("random", "seed"))
    assert seed >= 0 and r["params"]["seed"] == seed
    assert facts("random", "name") == f"MaskGIT inpaint seed {seed}"
    assert r["params"]["steps"] == 4 and r["params"]["sampler"] == "halton"
    assert r["params"]["maskPolicy"] == "coverage" and r["params"]["feather"] == 2.0
    assert r["params"]["class"] == "electric ray"


def test_class_edit_by_name(run, facts):
    assert facts("classedit", "name") == "MaskGIT class edit Cock seed 99"
    p = facts.parasite("classedit")
    assert p["method"] == "classEdit" and p["params"]["class"] == "Cock"
    check_outside_unchanged(png(run / "in/rgb.png"), png(run / "out/classedit.png"),
                            rect_mask((48, 64), 10, 10, 20, 16), p)


def test_generate_adds_a_native_size_layer(run, facts):
    assert facts.ints("generate", "geometry") == [0, 0, 16, 16]
    assert facts.ints("generate", "position")[0] == 0
    assert facts("generate", "name") == "MaskGIT generate class 2 seed 5"
    assert png(run / "out/generate.png").shape[:2] == (16, 16)


def test_outpaint_grows_the_canvas_and_keeps_the_original(run, facts):
    assert facts.ints("outpaint", "canvas") == [64 + 8 + 16, 48 + 4 + 0]
    assert facts.ints("outpaint", "geometry") == [0, 0, 88, 52]
    assert facts.ints("outpaint-source", "geometry") == [8, 4, 64, 48]
    out = png(run / "out/outpaint.png")
    assert np.array_equal(out[4:52, 8:72, :3], png(run / "in/rgb.png"))


def test_layer_offsets_are_respected(run, facts):
    # The 40x30 RGBA layer sits at (20, 16); the canvas selection (30, 20, 16x12) is (10, 4) in it.
    assert facts.ints("offset", "geometry") == [20, 16, 40, 30]
    before, after = png(run / "in/rgba.png"), png(run / "out/offset.png")
    assert after.shape == before.shape == (30, 40, 4)
    check_outside_unchanged(before, after, rect_mask((30, 40), 10, 4, 16, 12), facts.parasite("offset"))
    assert np.array_equal(before[..., 3], after[..., 3])   # alpha is kept


def test_large_image_uses_context_windows(run, facts):
    assert facts.ints("large", "geometry") == [0, 0, 200, 150]
    p = facts.parasite("large")
    assert all(w["width"] < 200 or w["height"] < 150 for w in p["windows"])
    yy, xx = np.mgrid[0:150, 0:200]
    ellipse_box = (xx >= 50) & (xx < 110) & (yy >= 40) & (yy < 90)
    check_outside_unchanged(png(run / "in/large.png"), png(run / "out/large.png"), ellipse_box, p)


def test_jpeg_photo_is_edited_and_exported_as_jpeg(run, facts):
    source, result = png(run / "out/photo-source.png"), png(run / "out/photo.png")
    assert source.shape[:2] == result.shape[:2] == (48, 64)
    check_outside_unchanged(source[..., :3], result[..., :3], rect_mask((48, 64), 12, 8, 20, 16),
                            facts.parasite("photo"))
    exported = Image.open(run / "out/photo.jpg")
    assert exported.format == "JPEG" and exported.size == (64, 48)


def test_grayscale_is_converted_and_indexed_refused(run, facts):
    assert facts.ints("gray", "type") == [2]   # GRAY-IMAGE: the result was converted back
    assert facts.ints("gray", "geometry") == [0, 0, 32, 32]
    assert facts("indexed", "error") == ""
    assert "convert this one with Image > Mode > RGB" in (run / "gimp-main.log").read_text()


def test_empty_selection_is_a_clear_error(run, facts):
    assert facts("empty-selection", "error") == ""
    assert "The selection is empty" in (run / "gimp-main.log").read_text()


# ---- restart / cancel / missing backend -------------------------------------------------------

def test_a_dead_backend_is_reported_and_restarted(run):
    f = Facts(run / "restart/facts.txt")
    assert f("crashed-backend", "error") == ""
    assert "exited with status 3: simulated crash for the test" in (run / "gimp-restart.log").read_text()
    assert int(f("restarted", "seed")) == 1
    assert f.status("after-restart")["starts"] == 2


def test_cancel_stops_the_job(run):
    f = Facts(run / "restart/facts.txt")
    assert f("cancel", "state").split()[0] == "3"      # JOB_CANCELLED
    assert "cancel requested" in (run / "profile/maskgit-gimp.log").read_text()


def test_missing_backend_is_a_clear_error(run):
    log = (run / "gimp-missing.log").read_text()
    assert "The MaskGIT backend maskgit-rpc was not found" in log


def test_killed_caller_gets_its_job_cancelled(run):
    # GIMP's progress-bar Cancel kills the calling plug-in; run-tests.sh does the same.
    assert (run / "killed.txt").exists(), "the watcher never found the outpaint to kill"
    f = Facts(run / "restart/facts.txt")
    assert f("killed-caller", "error") == ""
    assert f.ints("after-kill", "running")[0] == 0
    log = (run / "profile/maskgit-gimp.log").read_text()
    tail = log[log.index("stopped polling"):]
    assert "cancelled: Cancelled" in tail      # the server answered -32800, not a result


# ---- interactive (Xvfb) -----------------------------------------------------------------------

def dialog_facts(run, answer):
    path = run / f"dialog-{answer}/facts.txt"
    if not path.exists():
        pytest.skip("interactive runs need xvfb-run (scripts/setup --gimp installs it)")
    return Facts(path)


def test_dialog_screenshot_under_xvfb(run):
    dialog_facts(run, "ok")
    shot = Image.open(run / "dialog-ok/dialog.png")
    assert shot.width >= 200 and shot.height >= 150, shot.size
    pixels = np.asarray(shot.convert("RGB"))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 8, "a blank screenshot"


def test_dialog_lists_the_classes_and_runs(run):
    f = dialog_facts(run, "ok")
    assert f.ints("interactive", "layers") == [2]
    assert f("interactive", "name").startswith("MaskGIT inpaint seed ")
    assert "dialog: 10 classes listed" in (run / "profile/maskgit-gimp.log").read_text()


def test_progress_dialog_cancel_button_cancels(run):
    f = dialog_facts(run, "cancel")
    assert f.ints("interactive", "layers") == [1]      # nothing added
    log = (run / "profile/maskgit-gimp.log").read_text()
    after = log[log.index("progress dialog: Cancel pressed"):]
    assert "cancel requested" in after and "cancelled: Cancelled" in after


def test_a_changed_layer_gets_a_new_session(run, facts):
    before, after = facts.status("before-change"), facts.status("after-change")
    assert after["opened"] == before["opened"] + 1 and after["reused"] == before["reused"]
    assert facts.ints("changed", "geometry") == [8, 4, 64, 48]     # the source's offsets after outpaint
    assert "changed; closing stale session" in (run / "profile/maskgit-gimp.log").read_text()


def test_generate_without_an_image_makes_one(facts):
    assert facts.ints("generate-new-image", "geometry") == [0, 0, 16, 16]
    assert facts.ints("generate-new-image", "position") == [0, 1]
    assert facts("generate-new-image", "name") == "MaskGIT generate goldfish seed 6"


def test_a_silent_backend_times_out(run):
    assert "did not answer for 2 s" in (run / "gimp-silent.log").read_text()


def test_an_evicted_session_is_reopened(run):
    f = Facts(run / "evict/facts.txt")
    assert int(f("evicted", "seed")) == 2
    s = f.status("evict-end")
    assert s["opened"] == 3 and s["starts"] == 1
    assert "gone (evicted); re-opening" in (run / "profile/maskgit-gimp.log").read_text()


def test_an_evicted_fork_is_harmless(run):
    # evict-fork.scm: the server (3 sessions) evicted the forks of A's results; editing A's first
    # result layer then opens a session with nothing adopted, and the edit is still right.
    f = Facts(run / "evict-fork/facts.txt")
    before, end = f.status("before-first-edit"), f.status("evict-fork-end")
    assert before["forked"] == 3 and before["starts"] == 1
    assert end["adopted"] == 0 and end["known"] == 0 and end["opened"] == before["opened"] + 1
    assert int(f("first-edit", "seed")) == 4
    log = (run / "profile/maskgit-gimp.log").read_text()
    assert "evicted by the server (its result layer will be encoded again)" in log
    check_outside_unchanged(png(run / "out/evict-first.png"), png(run / "out/evict-first-edit.png"),
                            rect_mask((48, 64), 14, 14, 6, 6), f.parasite("first-edit"))


def test_a_server_without_fork_and_reuse_tokens_still_edits(run):
    # old-server.py refuses reuseTokens (-32602 naming it) and session.fork (-32601), as a server
    # from before them does: every edit still succeeds, the layer's session is still reused.
    f = Facts(run / "old-server/facts.txt")
    s = f.status("old-server-end")
    assert s["starts"] == 1 and s["opened"] == 2 and s["reused"] == 1 and s["edits"] == 3
    assert s["forked"] == 0 and s["adopted"] == 0
    assert int(f("old-reused", "seed")) == 5
    log = (run / "profile/maskgit-gimp.log").read_text()
    assert "does not know session.open reuseTokens" in log
    assert "session.fork s1 failed (maskgit-rpc: Method not found: session.fork); going on" in log
    check_outside_unchanged(png(run / "out/old-server-first.png"), png(run / "out/old-server-result-edit.png"),
                            rect_mask((48, 64), 14, 14, 6, 6), f.parasite("old-result-edit"))


def test_without_the_extension_a_call_runs_its_own_backend(run):
    # Same request as the resident run's first inpaint: same pixels, through a per-call backend.
    assert np.array_equal(png(run / "out/own-backend.png"), png(run / "out/inpaint1.png"))
    assert "(inpaint) submitted to the own backend" in (run / "profile/maskgit-gimp.log").read_text()


# ---- install.sh -------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("gimptool-2.0") is None, reason="gimptool-2.0 not found (scripts/setup --gimp)")
def test_install_is_idempotent_and_writes_the_config(tmp_path):
    for _ in range(2):
        p = subprocess.run([str(HERE.parent / "install.sh"), "--profile", str(tmp_path),
                            "--server", "/opt/x/maskgit-rpc", "--server-args", "--model /m"],
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stdout + p.stderr
    plugin = tmp_path / "plug-ins/maskgit-gimp/maskgit-gimp"
    assert os.access(plugin, os.X_OK)
    conf = (plugin.parent / "maskgit-gimp.conf").read_text()
    assert "path=/opt/x/maskgit-rpc" in conf and "args=--model /m" in conf


GIMP_DATA_ERROR = "but this folder does not exist"


def gimp_console(profile, *batch, env=None, timeout=240):
    e = dict(os.environ if env is None else env, GIMP2_DIRECTORY=str(profile))
    return subprocess.run(["gimp-console-2.10", "-i", "-d", "-f", "--no-splash",
                           *[a for b in batch for a in ("-b", b)], "-b", "(gimp-quit 0)"],
                          capture_output=True, text=True, env=e, timeout=timeout)


@pytest.mark.skipif(shutil.which("gimptool-2.0") is None or shutil.which("gimp-console-2.10") is None,
                    reason="GIMP 2.10 not found (scripts/setup --gimp)")
def test_install_into_a_fresh_profile_keeps_gimps_first_run(tmp_path):
    # GIMP sets a profile up (data folders, default files) only when the folder does not exist.
    profile = tmp_path / "fresh" / "GIMP" / "2.10"
    p = subprocess.run([str(HERE.parent / "install.sh"), "--profile", str(profile), "--server", "/bin/true"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "letting GIMP create it" in p.stdout
    for folder in ("brushes", "gradients", "palettes", "patterns", "fonts", "tool-presets", "scripts"):
        assert (profile / folder).is_dir(), f"GIMP's first run did not happen: no {folder}/"
    assert os.access(profile / "plug-ins/maskgit-gimp/maskgit-gimp", os.X_OK)
    assert GIMP_DATA_ERROR not in gimp_console(profile).stderr
    # The failure this guards against: a profile that holds only plug-ins/ (what gimptool makes).
    broken = tmp_path / "broken"
    (broken / "plug-ins").mkdir(parents=True)
    assert GIMP_DATA_ERROR in gimp_console(broken).stderr


def test_readme_script_fu_line(run, tmp_path):
    # The Script-Fu call the README shows, as written, on the default model (the README's
    # `img` and `layer`: cat.png and its layer, with a selection).
    readme = (REPO / "README.md").read_text()
    line = next(m for m in readme.split("`") if m.startswith("(plug-in-maskgit-inpaint RUN-NONINTERACTIVE img layer"))
    out = tmp_path / "readme-script-fu.png"
    env = {k: v for k, v in os.environ.items() if k not in ("MASKGIT_RPC_ARGS", "MASKGIT_GIMP_RESIDENT")}
    env["MASKGIT_RPC"] = str(REPO / ".build/release/maskgit-rpc")
    env["TMPDIR"] = str(tmp_path)
    p = gimp_console(run / "profile", f"""
      (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE "{REPO}/Examples/images/cat.png" "cat.png")))
             (layer (car (gimp-image-get-active-layer img))))
        (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 16 16 32 32)
        (let ((r {line}))
          (file-png-save2 RUN-NONINTERACTIVE img (car r) "{out}" "x" 0 1 0 0 0 0 0 0 1)
          (let ((port (open-output-file "{tmp_path}/seed.txt")))
            (display (cadr r) port)
            (close-output-port port))))""", env=env)
    assert out.exists(), p.stdout[-2000:] + p.stderr[-2000:]
    assert (tmp_path / "seed.txt").read_text().strip() == "1234"
    before, after = png(REPO / "Examples/images/cat.png")[..., :3], png(out)[..., :3]
    assert after.shape == before.shape
    assert np.any(before[16:48, 16:48] != after[16:48, 16:48])


def test_install_without_gimptool_says_what_to_install(tmp_path):
    env = dict(os.environ, PATH="/nonexistent")
    p = subprocess.run(["/bin/bash", str(HERE.parent / "install.sh"), "--profile", str(tmp_path)],
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 1
    assert "gimptool-2.0 not found" in p.stderr and "libgimp2.0-dev" in p.stderr


def test_menu_items_are_registered_under_filters_maskgit(run):
    rc = (run / "profile/pluginrc").read_text(errors="replace")
    assert rc.count('"<Image>/Filters/MaskGIT"') == 4
    for label in ("_Inpaint selection...", "_Outpaint...", "_Change class in selection...", "_Generate..."):
        assert f'"{label}"' in rc
