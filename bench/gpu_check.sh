#!/bin/sh
# Every GPU measurement of bench/ in one prepared run, for a machine lent for a short while
# (about 7 minutes on one H100/H200, estimated from the timings in results/): training
# throughput at the recipe's global batch (32) and at 256, our loop with and without torch's
# deterministic mode against the careful Trainer, an operator profile of one batch-256 run per
# variant, evaluation throughput, and last the FSDP path on CUDA (a correctness check on a
# one-process mesh, about 2 minutes more). Tables go to stdout and to $OUT (default bench/out),
# each as soon as it is done.
# Needs torch, transformers, accelerate and numpy.
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
run() {
  name=$1
  shift
  echo "## $name"
  # shellcheck disable=SC2086  # $device is a list of options
  PYTHONPATH=src python3 "$@" $device >"$out/$name.md"
  cat "$out/$name.md"
}
run train_256 bench/train_throughput.py --batch-size 256 --steps 40 --warmup 10 \
  --variants ours,ours-deterministic,hf-careful
run train_32 bench/train_throughput.py --steps 60 --warmup 10
run profile_256 bench/train_throughput.py --batch-size 256 --steps 20 --warmup 8 \
  --variants ours,hf-careful --profile 5
run eval bench/eval_throughput.py
echo "## fsdp"
# shellcheck disable=SC2086
PYTHONPATH=src python3 -m torch.distributed.run --standalone --nproc_per_node 1 \
  bench/fsdp_check.py $device >"$out/fsdp.md"
cat "$out/fsdp.md"
