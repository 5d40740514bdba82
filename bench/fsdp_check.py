"""The sharded (FSDP2) training path against the replicated one, on one device.

Sharding over several GPUs needs one GPU per process (NCCL allows no two ranks on a card), so
with a single GPU this check forces the sharded strategy onto a one-process mesh. That runs the
same code as a multi-GPU FSDP run, on CUDA with NCCL: `fully_shard`, DTensor parameters, fused
AdamW over them, bf16 weight gathering under bf16 autocast, the root unshard around evaluation,
gathering state for a checkpoint and handing back a plain model. The two runs differ by bf16
rounding (the replicated one computes with fp32 weights cast op by op), so expect small, not
zero, differences. Both runs start from the same random weights (XLM-R
Large's architecture unless --tiny) and see the same batches; the table gives each run's loss,
dev score, step time and peak GPU memory, and how far apart the final weights are.

  torchrun --nproc_per_node 1 bench/fsdp_check.py                      # GPU, ~2 minutes
  torchrun --nproc_per_node 1 bench/fsdp_check.py --device cpu --tiny  # smoke test (gloo)

Run from the repository root with PYTHONPATH=src. With a one-process mesh FSDP has nothing to
shard, so memory and speed here say nothing about a multi-GPU run; this is a correctness check.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import torch
from train_throughput import ours_setup

from xstilts.config import ExecutionConfig, LoopConfig, SamplerConfig
from xstilts.training import parallel
from xstilts.training.loop import Trainer, TrainingRun
from xstilts.training.objectives import TaskObjective


def train(args: argparse.Namespace, sharded: bool) -> dict:
    """One run; `sharded` forces FSDP even on one process."""
    choose = parallel.choose
    if sharded:
        parallel.choose = lambda fsdp, compile_model, accelerator, precision: parallel.Sharded(
            accelerator, precision
        )
    try:
        torch.manual_seed(0)
        model, objective = ours_setup(args, TaskObjective)
        settings = TrainingRun(
            LoopConfig(
                lr=1e-5,
                batch_size=args.batch_size,
                eval_every=args.steps // 2,
                checkpoint_every=args.steps // 2,
                group_by_length=True,
            ),
            SamplerConfig(),
            args.steps,
            ExecutionConfig(),
        )
        cuda = torch.cuda.is_available() and args.device == "cuda"
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        with tempfile.TemporaryDirectory() as state:
            trainer = Trainer(model, [objective], settings, 0, state)
            start = time.perf_counter()
            result = trainer.fit()
            seconds = time.perf_counter() - start
            kind = type(trainer.parallel).__name__
            weights = {k: v.float().cpu() for k, v in trainer.raw_model.state_dict().items()}
    finally:
        parallel.choose = choose
    return {
        "strategy": kind,
        "loss": result.history[-1]["train_loss"],
        "dev": result.best_score,
        "step_s": seconds / args.steps,
        "peak_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else float("nan"),
        "weights": weights,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--tiny", action="store_true", help="a 2-layer model (smoke test)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--examples", type=int, default=2048)
    args = parser.parse_args()
    if args.device == "cpu":
        os.environ["ACCELERATE_USE_CPU"] = "true"
    runs = [train(args, sharded=False), train(args, sharded=True)]
    drift = max(
        (runs[0]["weights"][k] - runs[1]["weights"][k]).abs().max().item()
        for k in runs[0]["weights"]
    )
    if int(os.environ.get("RANK", "0")) != 0:
        return
    device = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
    print(f"device: {device}; {args.steps} steps of {args.batch_size} x <= {args.max_length}")
    print("| strategy | final train loss | dev accuracy | s / step | peak GiB |")
    print("|---|---|---|---|---|")
    for run in runs:
        print(
            f"| {run['strategy']} | {run['loss']:.4f} | {run['dev']:.3f} "
            f"| {run['step_s']:.3f} | {run['peak_gib']:.1f} |"
        )
    print(f"max |weight difference| after training: {drift:.2e}")


if __name__ == "__main__":
    main()
