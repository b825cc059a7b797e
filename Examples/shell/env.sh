# Sourced by the examples: moves to the repository root and sets
#   BIN    the server: $MASKGIT_RPC_BIN, default .build/release/maskgit-rpc
#          (build it: swift build -c release --product maskgit-rpc)
#   MODEL  model flags: $MASKGIT_MODEL_ARGS, default none (the default model, Models/default) when
#          it exists, else the tiny random test model (its pictures are noise; the protocol is real)
#   OUT    where results go: $OUT_DIR, default Examples/out
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BIN=${MASKGIT_RPC_BIN:-.build/release/maskgit-rpc}
if [ -n "${MASKGIT_MODEL_ARGS+set}" ]; then
  MODEL=$MASKGIT_MODEL_ARGS
elif [ -f Models/default/transformer.safetensors ] || [ -n "${MASKGIT_MODEL:-}" ]; then
  MODEL=
else
  MODEL="--model Tests/EngineTests/Fixtures/tiny"
  echo "note: Models/default not found; using the tiny random test model" >&2
fi
OUT=${OUT_DIR:-Examples/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
