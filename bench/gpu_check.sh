#!/bin/sh
# Every GPU measurement of bench/ in one prepared run, for a machine lent for a short while
# (about 10 minutes on one H100/H200, estimated from the timings in results/ plus an unmeasured
# minute or two for compiling XLM-R Large in the compiled variant), most wanted first,
# so that a run cut short keeps what matters most: training throughput at global batch 256 (our
# loop eager, compiled and with torch's deterministic mode, against the careful Trainer), the
# FSDP path on CUDA (a correctness check on a one-process mesh), evaluation throughput, an
# operator profile of one batch-256 run per variant, the recipe's global batch (32), and the
# retrieve stage's scoring (every step of it on the GPU: Tatoeba clean, perturbed, attacked;
# BUCC). Tables
# go to stdout and to $OUT (default bench/out), each as soon as it is done; a step that fails
# says so and the next one runs.
# Needs torch, transformers, accelerate and numpy (and a C compiler for the compiled variant).
# SMOKE=1 runs the same steps on the CPU with the tiny architecture (a check of the script).
set -eu
cd "$(dirname "$0")/.."
out=${OUT:-bench/out}
mkdir -p "$out"
if [ "${SMOKE:-0}" = 1 ]; then
  device="--device cpu --tiny"
else
  device=""
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.csv"
fi
failed=""
run() {
  name=$1
  shift
  echo "## $name"
  # shellcheck disable=SC2086  # $device is a list of options
  PYTHONPATH=src "$@" $device >"$out/$name.md" || failed="$failed $name"
  cat "$out/$name.md"
}
run train_256 python3 bench/train_throughput.py --batch-size 256 --steps 40 --warmup 10 \
  --variants ours,ours-compiled,ours-deterministic,hf-careful
run fsdp python3 -m torch.distributed.run --standalone --nproc_per_node 1 bench/fsdp_check.py
run eval python3 bench/eval_throughput.py
run profile_256 python3 bench/train_throughput.py --batch-size 256 --steps 20 --warmup 8 \
  --variants ours,hf-careful --profile 5
run train_32 python3 bench/train_throughput.py --steps 60 --warmup 10
run retrieval python3 bench/retrieval_device.py
if [ -n "$failed" ]; then
  echo "failed steps:$failed" >&2
  exit 1
fi
