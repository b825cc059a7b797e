#!/usr/bin/env bash
# Throughput of `maskgit-cli batch` on the default model (Docs/Benchmarks.md): a COUNT-item
# manifest (make_manifest.py: inpaint, classEdit, generate, outpaint on 64x64 images, 12 steps)
# with 1 worker and with 2 workers (GNU parallel, one shard each, 1 thread each), the outputs
# compared byte for byte, and the cost of one model load (5 one-item runs). STEPS=4 decodes in
# 4 steps instead of the protocol's 12 (classEdit: 6, it starts at step 2).
#   [STEPS=N] Examples/batch/benchmark.sh [COUNT] [WORKDIR]
set -euo pipefail
count=${1:-1000}
work=${2:-$(mktemp -d)}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cli=${MASKGIT_CLI:-$repo/.build/release/maskgit-cli}
export MASKGIT_CLI=$cli
mkdir -p "$work"
python3 "$here/make_manifest.py" --count "$count" --out "$work/manifest.jsonl" ${STEPS:+--steps "$STEPS"}
python3 "$here/make_manifest.py" --count 3 --out - | sed -n 3p > "$work/one.jsonl"   # one generate item
now() { date +%s.%N; }
calc() { python3 -c "print(round($1, 3))"; }
field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])['$1'])"; }

echo "model load (in-process seconds, then process wall seconds), 5 runs:"
for i in 1 2 3 4 5; do
  t0=$(now)
  load=$("$cli" batch --manifest "$work/one.jsonl" --output "$work/load-$i" --quiet | field loadSeconds)
  t1=$(now)
  echo "  load ${load} s, one-item run $(calc "$t1 - $t0") s"
done

common=(--manifest "$work/manifest.jsonl" --root "$repo/Examples/images" --threads 1 --quiet)
t0=$(now); "$cli" batch "${common[@]}" --output "$work/w1" > "$work/w1.json"; t1=$(now)
w1=$(calc "$t1 - $t0")
t0=$(now); "$here/parallel.sh" 2 "${common[@]}" --output "$work/w2" > "$work/w2.json"; t1=$(now)
w2=$(calc "$t1 - $t0")
ok1=$(cat "$work"/w1/results*.jsonl | grep -c '"status":"ok"' || true)
ok2=$(cat "$work"/w2/results*.jsonl | grep -c '"status":"ok"' || true)
echo "1 worker:  $count items in $w1 s = $(calc "$count / $w1") items/s ($ok1 ok)"
echo "2 workers: $count items in $w2 s = $(calc "$count / $w2") items/s ($ok2 ok)"
if diff -rq --exclude='results*.jsonl' "$work/w1" "$work/w2"; then echo "outputs of 1 and 2 workers: byte-identical"; else echo "outputs differ"; exit 1; fi
