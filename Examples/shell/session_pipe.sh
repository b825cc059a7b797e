#!/usr/bin/env bash
# A whole session in one pipe: open, inpaint with progress, class edit, undo, export to a file.
# These requests run one at a time in order, and end of input lets them all finish (then the
# server exits 0). Cheap methods (session.info, ping) would be answered on arrival, ahead of
# queued edits: in a pipe, keep to the queued ones. The first session is always "s1".
set -euo pipefail
source "$(dirname "$0")/env.sh"

{
  echo '{"jsonrpc":"2.0","id":1,"method":"session.open","params":{"image":{"path":"Examples/images/cat.png"}}}'
  echo '{"jsonrpc":"2.0","id":2,"method":"inpaint","params":{"session":"s1","mask":{"rects":[{"x":0,"y":0,"width":32,"height":32}]},"class":1,"seed":3,"output":{"transport":"none"},"_meta":{"progressToken":"inpaint"}}}'
  echo '{"jsonrpc":"2.0","id":3,"method":"classEdit","params":{"session":"s1","rect":{"x":32,"y":32,"width":32,"height":32},"class":2,"seed":4,"output":{"transport":"none"}}}'
  echo '{"jsonrpc":"2.0","id":4,"method":"session.undo","params":{"session":"s1","output":{"transport":"none"}}}'
  echo '{"jsonrpc":"2.0","id":5,"method":"session.export","params":{"session":"s1","output":{"path":"'"$OUT"'/cat-session.png"}}}'
} | $BIN $MODEL --quiet --allow-root . --allow-root "$OUT"
