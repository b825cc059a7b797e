#!/usr/bin/env bash
# Base64 in, base64 out: no shared files needed (works through ssh too). The mask is an image
# (white = regenerate); jq pulls the PNG out of the answer.
set -euo pipefail
source "$(dirname "$0")/env.sh"

IMAGE=$(base64 < Examples/images/tiny16.png | tr -d '\n')
MASK=$(base64 < Examples/images/tiny16-mask.png | tr -d '\n')
echo '{"jsonrpc":"2.0","id":1,"method":"inpaint","params":{"image":"'"$IMAGE"'","mask":{"image":"'"$MASK"'"},"class":1,"seed":2}}' \
  | $BIN $MODEL --quiet \
  | jq -r '.result.image.data' | base64 -d > "$OUT/tiny16-base64.png"
echo "wrote $OUT/tiny16-base64.png"
