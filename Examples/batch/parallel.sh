#!/usr/bin/env bash
# N workers on one machine with GNU parallel (Debian package `parallel`), one shard each:
#   Examples/batch/parallel.sh WORKERS --manifest M.jsonl --output OUT [other maskgit-cli batch flags]
# Each worker loads the model once and writes OUT/results-I-of-N.jsonl; a rerun resumes.
set -euo pipefail
workers=$1; shift
cli=${MASKGIT_CLI:-$(cd "$(dirname "$0")/../.." && pwd)/.build/release/maskgit-cli}
parallel --line-buffer --halt soon,fail=1 -j "$workers" \
  "$cli" batch "$@" --shard {}/"$workers" ::: $(seq 0 $((workers - 1)))
