#!/usr/bin/env bash
# Sends every request file in Examples/requests (pretty-printed JSON; JSON strings hold no raw
# newlines, so deleting the newlines makes each one line). Paths in them are relative to the
# working directory (the repository root), inside the --allow-root Examples/; they write into
# Examples/out/.
set -euo pipefail
source "$(dirname "$0")/env.sh"

mkdir -p Examples/out
for file in Examples/requests/*.json; do
  tr -d '\n' < "$file"
  echo
done | $BIN $MODEL --quiet --allow-root Examples
