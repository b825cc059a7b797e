# Sourced by the examples: moves to the repository root and sets
#   BIN    the server: $MASKGIT_RPC_BIN, default .build/release/maskgit-rpc
#          (build it: swift build -c release --product maskgit-rpc)
#   MODEL  model flags: $MASKGIT_MODEL_ARGS, default none (the default model, Models/default)
#   OUT    where results go: $OUT_DIR, default Examples/out
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BIN=${MASKGIT_RPC_BIN:-.build/release/maskgit-rpc}
MODEL=${MASKGIT_MODEL_ARGS:-}
OUT=${OUT_DIR:-Examples/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
