#!/usr/bin/env bash
# Runs the MaskGIT GIMP plug-in in real headless GIMP (gimp-console-2.10) with the tiny
# random-weight model and leaves the results in OUT (default: a new temporary folder):
#   OUT/in/*.png            inputs          OUT/out/*.png   results exported by Script-Fu
#   OUT/out/facts.txt       layer names, offsets, sizes, parasites, backend status
#   OUT/restart/facts.txt   the crash/restart/cancel run    OUT/*.log  GIMP output and plug-in log
# test_gimp.py asserts on them (it runs this script); with --check this script runs it too.
#
#   Clients/gimp/tests/run-tests.sh [--check] [OUT]
#   MASKGIT_GIMP_EXAMPLES=1 ...     also rewrite Clients/gimp/example-{before,after}.png
# Exit 77 (skip) when gimp-console-2.10 or gimptool-2.0 is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
check=0
[ "${1:-}" = "--check" ] && { check=1; shift; }
out="${1:-$(mktemp -d /tmp/maskgit-gimp-test.XXXXXX)}"
python="${PYTHON:-$repo/.venv/bin/python}"
[ -x "$python" ] || python=python3

for tool in gimp-console-2.10 gimptool-2.0; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool not found (install with: scripts/setup --gimp, or apt-get install gimp libgimp2.0-dev)"
    exit 77
  fi
done

server="$repo/.build/release/maskgit-rpc"
if [ ! -x "$server" ]; then
  echo "building maskgit-rpc (release)"
  (cd "$repo" && nice -n 10 swift build -c release --product maskgit-rpc >/dev/null)
fi
model="$repo/Models/default"
if [ "${MASKGIT_GIMP_EXAMPLES:-0}" = 1 ] && [ -f "$model/config.json" -o -f "$model/transformer.safetensors" ]; then
  example_model="$model"
else
  example_model="$repo/Tests/EngineTests/Fixtures/tiny"
fi

rm -rf "$out/in" "$out/out" "$out/restart" "$out/evict" "$out/evict-fork" "$out/old-server" "$out/profile" "$out/tmp"
mkdir -p "$out/out" "$out/restart" "$out/profile" "$out/tmp"
rm -f "$out/killed.txt"
profile="$out/profile"
rmdir "$profile"   # a profile that does not exist yet: install.sh lets GIMP create it (first run)
"$here/../install.sh" --profile "$profile" --server "$server" >"$out/install.log" 2>&1 \
  || { cat "$out/install.log"; exit 1; }

# A private temp folder: the plug-in's work folder (and the backend's allowed root) lives in it.
export TMPDIR="$out/tmp"
work="$TMPDIR/maskgit-gimp-$(id -u)"
"$python" "$here/make_inputs.py" "$out" "$work"
export GIMP2_DIRECTORY="$profile"
export MASKGIT_RPC_ARGS="--model $repo/Tests/EngineTests/Fixtures/tiny --quiet"
unset MASKGIT_RPC MASKGIT_GIMP_RESIDENT MASKGIT_GIMP_FORKS

gimp_batch() {  # facts-folder script log; $wrap: a command to run GIMP under (xvfb-run)
  local dir="$1" script="$2" log="$3"
  ${wrap:-} timeout 240 gimp-console-2.10 -i -d -f --no-splash \
    -b "(begin (define test-dir \"$out\") (define work-dir \"$work\") (load \"$here/batch.scm\")
              (set! facts (open-output-file \"$dir/facts.txt\")) (load \"$script\"))" \
    -b '(gimp-quit 0)' >"$log" 2>&1
}

start=$(date +%s)
gimp_batch "$out/out" "$here/main.scm" "$out/gimp-main.log" || { echo "GIMP main run failed:"; tail -30 "$out/gimp-main.log"; exit 1; }
echo "GIMP main run: ok ($(( $(date +%s) - start )) s)"

# Second run: the first backend dies at start (the wrapper exits 3), the next call restarts it.
cat >"$out/crashing-server.sh" <<SH
#!/bin/sh
if [ ! -e "$out/crashed-once" ]; then touch "$out/crashed-once"; echo "simulated crash for the test" >&2; exit 3; fi
exec "$server" "\$@"
SH
chmod +x "$out/crashing-server.sh"
rm -f "$out/crashed-once"
start=$(date +%s)
# Plays GIMP's progress Cancel (which kills the calling plug-in) for the outpaint in restart.scm:
# waits for its "submitted" log line and kills that process (by its pid, from the line).
skip_lines=$(wc -l <"$profile/maskgit-gimp.log")
(
  for _ in $(seq 1 1200); do
    line="$(tail -n +$((skip_lines + 1)) "$profile/maskgit-gimp.log" | grep -a "(outpaint) submitted" | tail -1 || true)"
    if [ -n "$line" ]; then
      pid="$(echo "$line" | sed -n 's/^[0-9:]* \[\([0-9]*\)\].*/\1/p')"
      sleep 1
      kill -9 "$pid" 2>/dev/null && echo "killed the plug-in process $pid" >"$out/killed.txt"
      break
    fi
    sleep 0.1
  done
) &
watcher=$!
# The killed outpaint must still be running when the extension notices (kill + ~3 s): it is made
# large enough (8649 windows, about a minute here) that no machine finishes it first.
MASKGIT_RPC_ARGS="$MASKGIT_RPC_ARGS --max-windows 16384" \
MASKGIT_RPC="$out/crashing-server.sh" gimp_batch "$out/restart" "$here/restart.scm" "$out/gimp-restart.log" \
  || { echo "GIMP restart run failed:"; tail -30 "$out/gimp-restart.log"; kill "$watcher" 2>/dev/null; exit 1; }
kill "$watcher" 2>/dev/null || true
echo "GIMP restart/cancel run: ok ($(( $(date +%s) - start )) s)"

# Third run: no backend at all must give a clear error, not a hang.
MASKGIT_RPC="$out/no-such-maskgit-rpc" timeout 120 gimp-console-2.10 -i -d -f --no-splash -b "
  (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$out/in/rgb.png\" \"x\")))
         (src (car (gimp-image-get-active-layer img))))
    (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 1 1 8 8)
    (plug-in-maskgit-inpaint RUN-NONINTERACTIVE img src 1 0 \"\" \"1\" \"\" -1))" \
  -b '(gimp-quit 0)' >"$out/gimp-missing.log" 2>&1 || true
echo "GIMP missing-backend run: done"

# A backend that never answers: with MASKGIT_GIMP_TIMEOUT=2 the call fails after ~2 s.
printf '#!/bin/sh\nexec sleep 600\n' >"$out/silent-server.sh"
chmod +x "$out/silent-server.sh"
MASKGIT_RPC="$out/silent-server.sh" MASKGIT_GIMP_TIMEOUT=2 timeout 120 gimp-console-2.10 -i -d -f --no-splash -b "
  (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$out/in/rgb.png\" \"x\")))
         (src (car (gimp-image-get-active-layer img))))
    (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 1 1 8 8)
    (plug-in-maskgit-inpaint RUN-NONINTERACTIVE img src 1 0 \"\" \"1\" \"\" -1))" \
  -b '(gimp-quit 0)' >"$out/gimp-silent.log" 2>&1 || true
echo "GIMP silent-backend run: done"

# Without the resident extension (MASKGIT_GIMP_RESIDENT=0) each call runs a backend of its own.
MASKGIT_GIMP_RESIDENT=0 timeout 120 gimp-console-2.10 -i -d -f --no-splash -b "
  (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$out/in/rgb.png\" \"x\")))
         (src (car (gimp-image-get-active-layer img))))
    (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 10 10 20 16)
    (file-png-save2 RUN-NONINTERACTIVE img
      (car (plug-in-maskgit-inpaint RUN-NONINTERACTIVE img src 1234 0 \"\" \"3\" \"\" -1))
      \"$out/out/own-backend.png\" \"x\" 0 1 0 0 0 0 0 0 1))" \
  -b '(gimp-quit 0)' >"$out/gimp-own.log" 2>&1 || { echo "GIMP own-backend run failed:"; tail -30 "$out/gimp-own.log"; exit 1; }
echo "GIMP own-backend run: ok"

# One session at most: the server evicts the first layer's session; editing it again re-opens it.
mkdir -p "$out/evict"
MASKGIT_RPC_ARGS="$MASKGIT_RPC_ARGS --max-sessions 1" gimp_batch "$out/evict" "$here/evict.scm" "$out/gimp-evict.log" \
  || { echo "GIMP eviction run failed:"; tail -30 "$out/gimp-evict.log"; exit 1; }
echo "GIMP eviction run: ok"

# Forks the server evicts (three sessions, two forks kept by the backend): harmless, the result
# layer whose fork is gone opens without adopted tokens.
mkdir -p "$out/evict-fork"
MASKGIT_GIMP_FORKS=2 MASKGIT_RPC_ARGS="$MASKGIT_RPC_ARGS --max-sessions 3" \
  gimp_batch "$out/evict-fork" "$here/evict-fork.scm" "$out/gimp-evict-fork.log" \
  || { echo "GIMP fork eviction run failed:"; tail -30 "$out/gimp-evict-fork.log"; exit 1; }
echo "GIMP fork eviction run: ok"

# A server from before session.fork and reuseTokens (old-server.py in front of the real one).
mkdir -p "$out/old-server"
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$here/old-server.py" "$server" >"$out/old-server.sh"
chmod +x "$out/old-server.sh"
MASKGIT_RPC="$out/old-server.sh" gimp_batch "$out/old-server" "$here/old-server.scm" "$out/gimp-old-server.log" \
  || { echo "GIMP old-server run failed:"; tail -30 "$out/gimp-old-server.log"; exit 1; }
echo "GIMP old-server run: ok"

# Interactive runs under Xvfb (dialogs answer themselves): OK, then Cancel in the progress dialog.
if command -v xvfb-run >/dev/null 2>&1; then
  for answer in ok cancel; do
    mkdir -p "$out/dialog-$answer"
    MASKGIT_GIMP_TEST_DIALOGS=$answer MASKGIT_GIMP_TEST_SCREENSHOT="$out/dialog-$answer/dialog.png" wrap="xvfb-run -a" \
      gimp_batch "$out/dialog-$answer" "$here/interactive.scm" "$out/gimp-dialog-$answer.log" \
      || { echo "GIMP interactive run ($answer) failed:"; tail -30 "$out/gimp-dialog-$answer.log"; exit 1; }
  done
  echo "GIMP interactive runs (Xvfb): ok"
else
  echo "GIMP interactive runs: skipped (no xvfb-run; scripts/setup --gimp installs it)"
fi

# The README's before/after pair: inpaint of a disc-shaped selection.
if [ "${MASKGIT_GIMP_EXAMPLES:-0}" = 1 ]; then
  MASKGIT_RPC_ARGS="--model $example_model --quiet" timeout 240 gimp-console-2.10 -i -d -f --no-splash -b "
    (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$out/in/example.png\" \"x\")))
           (src (car (gimp-image-get-active-layer img))))
      (gimp-image-select-ellipse img CHANNEL-OP-REPLACE 60 16 44 44)
      (plug-in-maskgit-inpaint RUN-NONINTERACTIVE img src 2026 0 \"\" \"3\" \"\" -1)
      (let ((flat (car (gimp-image-flatten img))))
        (file-png-save2 RUN-NONINTERACTIVE img flat \"$out/example-after.png\" \"x\" 0 9 0 0 0 0 0 0 0)))" \
    -b '(gimp-quit 0)' >"$out/gimp-example.log" 2>&1
  cp "$out/in/example.png" "$here/../example-before.png"
  cp "$out/example-after.png" "$here/../example-after.png"
  if command -v xvfb-run >/dev/null 2>&1; then   # the README's dialog screenshot, on the same model
    mkdir -p "$out/dialog-example"
    MASKGIT_RPC_ARGS="--model $example_model --quiet" MASKGIT_GIMP_TEST_DIALOGS=ok \
      MASKGIT_GIMP_TEST_SCREENSHOT="$here/../example-dialog.png" wrap="xvfb-run -a" \
      gimp_batch "$out/dialog-example" "$here/interactive.scm" "$out/gimp-dialog-example.log" || true
  fi
  echo "examples written: Clients/gimp/example-before.png, example-after.png, example-dialog.png ($(basename "$example_model") model)"
fi
cp "$profile/maskgit-gimp.log" "$out/plugin.log" 2>/dev/null || true
echo "results in $out"
if [ "$check" = 1 ]; then
  MASKGIT_GIMP_TEST_OUT="$out" "$python" -m pytest -q "$here/test_gimp.py"
fi
