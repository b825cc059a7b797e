#!/usr/bin/env bash
# Default model v2 (16x16 token grid at 64 px): the whole pipeline as one resumable long run.
#
#   Training/scripts/train_v2.sh [stage ...]     stages: prepare tokenizer tokenize transformer evaluate sample
#                                                (default: all, in that order)
#
# The same command runs on CPU and on a CUDA GPU (JAX picks the GPU when `jax[cuda]` is installed;
# nothing here is CPU-specific). Every training stage checkpoints to runs/v2/<stage>/ and resumes
# from its latest checkpoint when the script is started again, so stopping and rerunning it is safe;
# a finished stage only re-runs its final evaluation. Environment overrides: PY (python),
# TOK_STEPS (default 3750, where the shipped tokenizer run stopped), TR_STEPS (default 3000), PRECISION (auto|bf16|fp32; auto = bf16 on a GPU, fp32 on CPU), NICE (nice level, default 19 so builds keep priority).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(cd .. && pwd)"
PY="${PY:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY=/work/main/.venv/bin/python
NICE="${NICE:-19}"
TOK_STEPS="${TOK_STEPS:-3750}"
TR_STEPS="${TR_STEPS:-3000}"
PRECISION="${PRECISION:-auto}"
RUNS="$ROOT/runs/v2"
DATA="$ROOT/data/emoji64.npz"
TOKENS="$ROOT/data/tokens_v2.npz"
JUDGE="${JUDGE:-$ROOT/runs/judge}"   # the classifier of `train-classifier --arch judge` (see README)
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(prepare tokenizer tokenize transformer evaluate sample)
run() { echo "+ $*" >&2; nice -n "$NICE" "$PY" -m maskgit_training "$@"; }
for s in "${stages[@]}"; do
  case "$s" in
    prepare)     [ -f "$DATA" ] || run prepare ;;
    tokenizer)   run train-tokenizer --run-dir "$RUNS/tokenizer" --filters 32 --channel-multipliers 1,2,4 \
                     --num-res-blocks 1 --embedding-dim 64 --codebook-size 1024 --num-groups 8 \
                     --steps "$TOK_STEPS" --batch-size 32 --lr 1e-3 --warmup 100 --l1-weight 0.5 \
                     --edge-weight 0.1 --precision "$PRECISION" --ckpt-every 50 --eval-every 250 ;;
    tokenize)    run tokenize --tokenizer "$(ls "$RUNS"/tokenizer/ckpt_*.msgpack | tail -1)" --out "$TOKENS" ;;
    transformer) run train-transformer --tokens "$TOKENS" --run-dir "$RUNS/transformer" --hidden-size 256 \
                     --num-layers 6 --num-heads 8 --intermediate-size 1024 --steps "$TR_STEPS" \
                     --batch-size 64 --lr 5e-4 --warmup 200 --precision "$PRECISION" --ckpt-every 50 \
                     --eval-every 250 ;;
    evaluate)    for w in 2 0; do
                   run evaluate --tokenizer "$(ls "$RUNS"/tokenizer/ckpt_*.msgpack | tail -1)" \
                       --transformer "$(ls "$RUNS"/transformer/ckpt_*.msgpack | tail -1)" \
                       --classifier "$JUDGE" --guidance "$w" --out "$RUNS/eval/metrics_w$w.json"
                 done ;;
    sample)      run sample --tokenizer "$(ls "$RUNS"/tokenizer/ckpt_*.msgpack | tail -1)" \
                     --transformer "$(ls "$RUNS"/transformer/ckpt_*.msgpack | tail -1)" \
                     --guidance 2 --out-dir "$RUNS/samples" ;;
    *) echo "unknown stage $s" >&2; exit 2 ;;
  esac
done
