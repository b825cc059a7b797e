#!/usr/bin/env bash
# The loaded models, without class names: one request, one answer, then end of input ends the server.
set -euo pipefail
source "$(dirname "$0")/env.sh"

echo '{"jsonrpc":"2.0","id":1,"method":"models.list","params":{"classes":false}}' | $BIN $MODEL --quiet
