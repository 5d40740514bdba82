#!/bin/sh
# One `accelerate launch` per node of a Slurm job, for a training stage over several nodes:
#   XSTILTS_LAUNCH="srun --ntasks-per-node=1 sh scripts/srun_accelerate.sh \
#     --config_file configs/accelerate/multi-node.yaml --num_processes 16" dvc repro ...
# (inside a `xstilts grid` job: --sbatch=--nodes=2 --setup 'export XSTILTS_LAUNCH=...').
# srun starts this once per node; each gets its rank from Slurm and the job's first node as
# the main process. The rest of the arguments go to `accelerate launch` unchanged.
set -eu
main=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
exec accelerate launch --num_machines "$SLURM_NNODES" --machine_rank "$SLURM_PROCID" \
  --main_process_ip "$main" "$@"
