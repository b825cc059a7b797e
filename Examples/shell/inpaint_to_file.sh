#!/usr/bin/env bash
# Inpaints the middle of Examples/images/cat.png as class 1; the server reads the image and
# writes the PNG itself (paths must lie under an --allow-root directory; the write is atomic).
set -euo pipefail
source "$(dirname "$0")/env.sh"

echo '{"jsonrpc":"2.0","id":1,"method":"inpaint","params":{"image":{"path":"Examples/images/cat.png"},"mask":{"rects":[{"x":16,"y":16,"width":32,"height":32}]},"class":1,"seed":1,"output":{"path":"'"$OUT"'/cat-inpainted.png"}}}' \
  | $BIN $MODEL --quiet --allow-root . --allow-root "$OUT"
