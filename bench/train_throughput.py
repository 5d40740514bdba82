"""Training throughput of our loop against two Hugging Face Trainer baselines.

XLM-R Large's architecture (24 layers, hidden 1024, 16 heads, FFN 4096, vocabulary 250002) with
random weights, sentence-pair classification (3 labels), global batch 32, max length 256,
lengths drawn from an MNLI-like distribution (see synthetic.py). Variants, same data, steps and
batch, each in its own process:

  ours        xstilts' Trainer with the GPU defaults: bf16 autocast, SDPA, length-grouped
              batches with dynamic padding, fused AdamW, no per-step host sync
  hf-default  transformers.Trainer as its defaults give it: fp32, every example padded to 256
  hf-careful  transformers.Trainer tuned: bf16, dynamic padding, group_by_length, fused AdamW
  ours-deterministic  ours with `execution.deterministic_cuda: true` (opt-in: --variants),
              to measure what torch's deterministic mode costs on the GPU
  ours-compiled  ours with `execution.compile: true` (opt-in: --variants): torch.compile with
              dynamic shapes; its compilation falls in the untimed warm-up steps

Tokens/s counts non-padding tokens only. Model FLOPs per example of n tokens are
n * (6 N + 12 L d n) (N non-embedding parameters, L layers, d hidden; PaLM's formula, training =
3 x forward), and MFU divides by the GPU's dense bf16 peak (H100 SXM 989 TFLOP/s, or
--peak-tflops), for every variant, fp32 included.

  PYTHONPATH=src python3 bench/train_throughput.py                      # GPU, ~4 minutes
  PYTHONPATH=src python3 bench/train_throughput.py --device cpu --tiny  # smoke test, < 1 minute

`--profile K` runs torch.profiler over the first K timed steps of each variant and prints its
operators sorted by self time on the device (CUDA) or CPU, to show where a variant's step time
goes; the throughput table of a profiled run includes the profiler's overhead.

Needs torch, transformers, accelerate and numpy only (no pydantic, datasets or dvc).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from synthetic import PAD_ID, features
from transformers import XLMRobertaConfig

ARCHITECTURES = {
    "large": dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                  intermediate_size=4096, vocab_size=250002),
    "tiny": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                 intermediate_size=128, vocab_size=1000),
}  # fmt: skip
COMMON = dict(max_position_embeddings=514, type_vocab_size=1, pad_token_id=PAD_ID,
              bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5)  # fmt: skip
PEAK_TFLOPS = {"H100 PCIe": 756.0, "H100": 989.0, "H200": 989.0, "A100": 312.0, "L40S": 362.0}
VARIANTS = ("ours", "hf-default", "hf-careful")
EXTRA_VARIANTS = ("ours-deterministic", "ours-compiled")
LABELS = 3


def model_config(args: argparse.Namespace, **extra) -> XLMRobertaConfig:
    arch = ARCHITECTURES["tiny" if args.tiny else "large"]
    return XLMRobertaConfig(**arch, **COMMON, attn_implementation="sdpa", **extra)


@dataclass
class Meter:
    """Per-batch token counts (in consumption order), the timed window and, with --profile,
    the profiler's operator table."""

    batches: list[tuple[int, int, int]] = field(default_factory=list)  # real, padded, sum n^2
    start: float = 0.0
    end: float = 0.0
    graphs: int = 0  # torch.compile graphs made inside the timed window (their compile time counts)
    profiler: torch.profiler.profile | None = None
    profile: str = ""

    def record(self, attention_mask: torch.Tensor) -> None:
        lengths = attention_mask.sum(-1)
        self.batches.append((int(lengths.sum()), attention_mask.numel(), int((lengths**2).sum())))

    def mark(self, step: int, args: argparse.Namespace) -> None:
        if args.profile:
            self._profile(step, args)
        if step in (args.warmup, args.steps - 1):
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            if step == args.warmup:
                self.start = time.perf_counter()
                self.graphs = -compiled_graphs()
            else:
                self.end = time.perf_counter()
                self.graphs += compiled_graphs()

    def _profile(self, step: int, args: argparse.Namespace) -> None:
        cuda = args.device == "cuda"
        if step == args.warmup:
            activities = [torch.profiler.ProfilerActivity.CPU]
            activities += [torch.profiler.ProfilerActivity.CUDA] if cuda else []
            self.profiler = torch.profiler.profile(activities=activities)
            self.profiler.start()
        elif step == args.warmup + args.profile and self.profiler is not None:
            if cuda:
                torch.cuda.synchronize()
            self.profiler.stop()
            key = "self_device_time_total" if cuda else "self_cpu_time_total"
            averages = self.profiler.key_averages()
            self.profile = averages.table(sort_by=key, row_limit=args.profile_rows)
            self.profiler = None


def compiled_graphs() -> int:
    """Graphs torch.compile has made so far in this process."""
    from torch._dynamo.utils import counters

    return counters["stats"]["unique_graphs"]


def ours_setup(args: argparse.Namespace, objective_type: type) -> tuple[torch.nn.Module, Any]:
    """A random-weight MultiTaskModel with an MNLI-like pair head, and its synthetic objective
    (an xstilts `TaskObjective` or a subclass)."""
    from transformers import XLMRobertaModel

    from xstilts.modeling.model import HeadInfo, MultiTaskModel

    data = features(args.examples, args.max_length, model_config(args).vocab_size, LABELS)
    encoder = XLMRobertaModel(model_config(args), add_pooling_layer=False)
    model = MultiTaskModel(encoder, [HeadInfo("mnli", "pair", ("e", "n", "c"))])
    return model, objective_type("mnli", "mnli", data, data[:64], PAD_ID, eval_batch_size=64)


def run_ours(
    args: argparse.Namespace, meter: Meter, deterministic: bool = False, compile: bool = False
) -> torch.nn.Module:
    from xstilts.config import ExecutionConfig, LoopConfig, SamplerConfig
    from xstilts.training.loop import Trainer, TrainingRun
    from xstilts.training.objectives import TaskObjective

    class Counted(TaskObjective):
        def batch(self, indices):
            batch = super().batch(indices)
            meter.record(batch["attention_mask"])
            return batch

    model, objective = ours_setup(args, Counted)
    settings = TrainingRun(
        LoopConfig(
            lr=1e-5,
            batch_size=args.batch_size,
            eval_every=args.steps,
            checkpoint_every=10**9,
            group_by_length=True,
        ),
        SamplerConfig(),
        args.steps,
        ExecutionConfig(compile=compile, deterministic_cuda=deterministic),
    )
    with tempfile.TemporaryDirectory() as state:
        mark = lambda step: meter.mark(step, args)  # noqa: E731
        Trainer(model, [objective], settings, 0, state, on_step=mark).fit()
    return model


def run_hf(args: argparse.Namespace, meter: Meter, careful: bool) -> torch.nn.Module:
    from transformers import (
        Trainer,
        TrainerCallback,
        TrainingArguments,
        XLMRobertaForSequenceClassification,
    )

    cuda = args.device == "cuda"
    data = features(args.examples, args.max_length, model_config(args).vocab_size, LABELS)
    if not careful:  # the usual preprocessing: tokenizer(..., padding="max_length")
        pad = lambda ids: ids + [PAD_ID] * (args.max_length - len(ids))  # noqa: E731
        data = [{**f, "input_ids": pad(f["input_ids"])} for f in data]

    def collate(items: list[dict]) -> dict[str, torch.Tensor]:
        width = max(len(f["input_ids"]) for f in items)
        ids = torch.full((len(items), width), PAD_ID, dtype=torch.long)
        for row, f in enumerate(items):
            ids[row, : len(f["input_ids"])] = torch.tensor(f["input_ids"])
        mask = (ids != PAD_ID).long()
        meter.record(mask)
        return {"input_ids": ids, "attention_mask": mask,
                "labels": torch.tensor([f["label"] for f in items])}  # fmt: skip

    class Timer(TrainerCallback):
        def on_step_end(self, _args, state, control, **kwargs):
            meter.mark(state.global_step, args)

    model = XLMRobertaForSequenceClassification(model_config(args, num_labels=LABELS))
    with tempfile.TemporaryDirectory() as out:
        training_args = TrainingArguments(
            output_dir=out,
            per_device_train_batch_size=args.batch_size,
            max_steps=args.steps,
            learning_rate=1e-5,
            report_to="none",
            save_strategy="no",
            logging_strategy="no",
            disable_tqdm=True,
            use_cpu=not cuda,
            seed=0,
            remove_unused_columns=False,
            bf16=careful and cuda,
            optim="adamw_torch_fused" if careful and cuda else "adamw_torch",
            **(length_grouping() if careful else {}),
        )
        Trainer(
            model=model,
            args=training_args,
            train_dataset=data,
            data_collator=collate,
            callbacks=[Timer()],
        ).train()
    return model


def length_grouping() -> dict:
    """`group_by_length=True`, or its newer spelling (transformers >= 5.2x)."""
    from dataclasses import fields

    from transformers import TrainingArguments

    names = {f.name for f in fields(TrainingArguments)}
    if "train_sampling_strategy" in names:
        return {"train_sampling_strategy": "group_by_length"}
    return {"group_by_length": True}


def run_variant(args: argparse.Namespace) -> dict:
    meter = Meter()
    torch.manual_seed(0)
    run = {"ours": run_ours, "hf-default": lambda a, m: run_hf(a, m, False),
           "hf-careful": lambda a, m: run_hf(a, m, True),
           "ours-deterministic": lambda a, m: run_ours(a, m, deterministic=True),
           "ours-compiled": lambda a, m: run_ours(a, m, compile=True)}[args.variant]  # fmt: skip
    model = run(args, meter)
    timed = meter.batches[args.warmup : args.steps - 1]
    config = model_config(args)
    non_embedding = sum(
        p.numel() for name, p in model.named_parameters() if "embeddings" not in name
    )
    layers, hidden = config.num_hidden_layers, config.hidden_size
    flops = sum(6 * non_embedding * real + 12 * layers * hidden * sq for real, _, sq in timed)
    seconds = meter.end - meter.start
    return {
        "variant": args.variant,
        "steps": len(timed),
        "seconds": seconds,
        "tokens_per_s": sum(real for real, _, _ in timed) / seconds,
        "padding": 1 - sum(r for r, _, _ in timed) / sum(p for _, p, _ in timed),
        "tflops": flops / seconds / 1e12,
        "peak_memory_gb": torch.cuda.max_memory_allocated() / 2**30 if args.device == "cuda" else 0,
        "profile": meter.profile,
        "graphs_in_timed_steps": meter.graphs,
    }


def peak_tflops(args: argparse.Namespace) -> tuple[str, float | None]:
    if args.peak_tflops:
        return "given", args.peak_tflops
    if args.device != "cuda":
        return "cpu", None
    name = torch.cuda.get_device_name()
    for key, value in PEAK_TFLOPS.items():
        if key in name:
            return name, value
    return name, None


def table(results: list[dict], args: argparse.Namespace) -> str:
    gpu, peak = peak_tflops(args)
    baselines = ("hf-default", "hf-careful")
    speed = {r["variant"]: r["tokens_per_s"] for r in results if "error" not in r}
    lines = [
        f"device: {gpu}; bf16 dense peak: {f'{peak:g} TFLOP/s' if peak else 'n/a'}; "
        f"{'tiny' if args.tiny else 'XLM-R Large'} architecture, random weights; global batch "
        f"{args.batch_size}, max length {args.max_length}, {args.steps} steps "
        f"({args.warmup} warm-up steps and the last step untimed)",
        "",
        "| variant | timed steps | s | non-pad tokens/s | padding | model TFLOP/s | MFU | "
        "peak GPU mem (GiB) | vs hf-default | vs hf-careful |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['variant']} | failed: {r['error']} |" + " |" * 8)
            continue
        mfu = f"{100 * r['tflops'] / peak:.1f}%" if peak else "n/a"
        versus = [
            f"{r['tokens_per_s'] / speed[b]:.2f}x" if b in speed else "n/a" for b in baselines
        ]
        lines.append(
            f"| {r['variant']} | {r['steps']} | {r['seconds']:.1f} | {r['tokens_per_s']:,.0f} | "
            f"{100 * r['padding']:.0f}% | {r['tflops']:.1f} | {mfu} | "
            f"{r['peak_memory_gb']:.1f} | {' | '.join(versus)} |"
        )
    for r in results:
        if r.get("graphs_in_timed_steps"):
            lines.append(
                f"\n{r['variant']}: torch.compile made {r['graphs_in_timed_steps']} graph(s) "
                "inside the timed steps, so their compile time is in its numbers"
            )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--tiny", action="store_true", help="tiny architecture (smoke test)")
    parser.add_argument("--steps", type=int, default=None, help="default 150 (GPU), 12 (tiny)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed first steps")
    parser.add_argument("--batch-size", type=int, default=32, help="global batch size")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--examples", type=int, default=20000)
    parser.add_argument("--peak-tflops", type=float, default=None, help="the GPU's bf16 peak")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--profile", type=int, default=0, help="profile K timed steps")
    parser.add_argument("--profile-rows", type=int, default=25, help="operators listed")
    parser.add_argument("--variant", choices=VARIANTS + EXTRA_VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.steps = args.steps or (12 if args.tiny else 150)
    args.warmup = args.warmup if args.warmup is not None else (3 if args.tiny else 20)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("no CUDA device: use --device cpu --tiny")
    if args.steps < args.warmup + 3:
        parser.error("--steps must exceed --warmup by at least 3")
    if args.profile and args.warmup + args.profile >= args.steps - 1:
        parser.error("--profile K needs K < steps - warmup - 1")
    return args


def main() -> None:
    args = parse_args()
    if args.variant:  # a worker: one variant, one JSON line
        print("RESULT " + json.dumps(run_variant(args)), flush=True)
        return
    results = [run_worker(variant) for variant in args.variants.split(",")]
    print(table(results, args))
    for result in results:
        if result.get("profile"):
            print(f"\n### {result['variant']}: operators over {args.profile} profiled steps\n")
            print(result["profile"])
    if any("error" in result for result in results):
        sys.exit("some variants failed: see their rows and the messages above")


def run_worker(variant: str) -> dict:
    """One variant in its own process. A failed one becomes a row saying why (its stderr goes
    to ours), so that one broken variant does not cost the others' numbers."""
    command = [sys.executable, __file__, *sys.argv[1:], "--variant", variant]
    done = subprocess.run(command, capture_output=True, text=True)
    lines = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    if done.returncode or not lines:
        print(f"{variant} failed:\n{done.stderr[-3000:]}", file=sys.stderr)
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"variant": variant, "error": last[:200].replace("|", "/")}
    result = json.loads(lines[-1][7:])
    print(f"{variant}: {result['tokens_per_s']:,.0f} tokens/s", file=sys.stderr)
    return result


if __name__ == "__main__":
    main()
