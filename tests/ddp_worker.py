"""A tiny two-task training run, launched by tests/test_distributed.py on one or more CPU
processes (`torchrun --nproc_per_node N tests/ddp_worker.py WORLD OUT PER_DEVICE [--fsdp]
[--stop-at STEP] [--mlm] [--checkpointing] [--bf16] [--compile]`). `--mlm` pretrains a masked
LM instead (its output projection is tied to the input embeddings); `--checkpointing`
recomputes activations; `--bf16` trains under bf16 precision and records the dtype of the
weights a layer computes with; `--compile` compiles the model (torch.compile) inside DDP.

Dropout is off, so runs that differ only in how the global batch is split across processes
and micro-steps, or in whether the model is replicated or sharded, must agree up to float
rounding. `--stop-at` ends the processes after that step (as a crash would), leaving the
resume state behind; the next launch resumes from it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from safetensors.torch import save_file

# the script's own folder is first on the import path (torchrun runs it as a script)
from tiny_models import corpus_lines, tiny_config, tiny_tokenizer
from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM, XLMRobertaModel

from xstilts.config import ExecutionConfig, LoopConfig, SamplerConfig
from xstilts.data.sources import load_examples
from xstilts.io import atomic_dir
from xstilts.modeling.encoding import encode
from xstilts.modeling.model import HeadInfo, MultiTaskModel
from xstilts.pretraining.corpus import pack_lines
from xstilts.tasks import get_task
from xstilts.training.loop import Trainer, TrainingRun
from xstilts.training.objectives import MaskedLMObjective, TaskObjective

TASKS = ("qqp", "race")  # a pair head and a multiple-choice head: DDP sees unused parameters
STEPS, RECIPE = 6, dict(lr=1e-3, batch_size=8, eval_every=3, checkpoint_every=3)


def corpus(world: Path) -> list[str]:
    return corpus_lines(world, ["en"])


def tokenizer_for(world: Path):
    return tiny_tokenizer(corpus(world), vocab_size=500)


def objective(task: str, world: Path, tokenizer) -> TaskObjective:
    spec = get_task(task)
    load = lambda split: load_examples(spec, split, "en", "sample", world)[:40]  # noqa: E731
    return TaskObjective(
        name=task,
        head=spec.head_name,
        train=encode(load("train"), tokenizer, 64),
        dev=encode(load("dev"), tokenizer, 64),
        pad_id=tokenizer.pad_token_id,
        eval_batch_size=16,
    )


class Interrupted(Exception):
    pass


def stop_at(step: int | None):
    def check(current: int) -> None:
        if current == step:
            raise Interrupted

    return check


def masked_lm(world: Path, tokenizer, config: XLMRobertaConfig):
    features = pack_lines(corpus(world)[:400], tokenizer, 32)
    objective = MaskedLMObjective(
        train=features[8:],
        dev=features[:8],
        pad_id=tokenizer.pad_token_id,
        mask_id=tokenizer.mask_token_id,
        vocab_size=len(tokenizer),
        special_ids=tuple(sorted(set(tokenizer.all_special_ids))),
    )
    return XLMRobertaForMaskedLM(config), [objective]


def multi_task(world: Path, tokenizer, config: XLMRobertaConfig):
    model = MultiTaskModel(
        XLMRobertaModel(config, add_pooling_layer=False), [HeadInfo.for_task(t) for t in TASKS]
    )
    model.heads["race"].dropout.p = 0.0
    model.heads["qqp"].dropout.p = 0.0
    return model, [objective(t, world, tokenizer) for t in TASKS]


def record_weight_dtypes(model: torch.nn.Module) -> set[str]:
    """The dtypes of the weight the first layer's first linear map computes with (a hook that
    follows the model into the copy FSDP shards)."""
    seen: set[str] = set()
    linear = next(
        m for n, m in model.named_modules() if ".layer.0." in n and isinstance(m, torch.nn.Linear)
    )
    linear.register_forward_pre_hook(lambda module, _: seen.add(str(module.weight.dtype)))
    return seen


def train(args: argparse.Namespace) -> None:
    world, out = args.world, args.out
    tokenizer = tokenizer_for(world)
    torch.manual_seed(0)
    config = tiny_config(tokenizer, num_hidden_layers=2, max_position_embeddings=70, dropout=0.0)
    model, objectives = (masked_lm if args.mlm else multi_task)(world, tokenizer, config)
    weight_dtypes = record_weight_dtypes(model)
    settings = TrainingRun(
        LoopConfig(**RECIPE, precision="bf16" if args.bf16 else "fp32"),
        SamplerConfig(),
        STEPS,
        ExecutionConfig(
            per_device_batch_size=args.per_device,
            fsdp=args.fsdp,
            gradient_checkpointing=args.checkpointing,
            compile=args.compile,
        ),
    )
    state_dir = out.parent / f"{out.name}.state"
    trainer = Trainer(model, objectives, settings, 0, state_dir, on_step=stop_at(args.stop_at))
    try:
        result = trainer.fit()
    except Interrupted:
        return
    with atomic_dir(out) as tmp:
        # the stages save the model object they built: it must hold the trained weights
        weights = {k: v.clone() for k, v in model.state_dict().items()}
        save_file(weights, str(tmp / "model.safetensors"))
        summary = {
            "history": result.history,
            "processes": trainer.processes,
            "micro_steps": trainer.micro_steps,
            "sharded": type(trainer.parallel).__name__ == "Sharded",
            "caller_model_returned": trainer.raw_model is model,
            "compiled": model._compiled_call_impl is not None,
            "resumed_from": result.resumed_from,
            "weight_dtypes": sorted(weight_dtypes),
            "task_counts": result.task_counts,
        }
        (tmp / "result.json").write_text(json.dumps(summary), encoding="utf-8")
    trainer.clear_state()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("world", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("per_device", type=lambda v: None if v == "none" else int(v))
    parser.add_argument("--fsdp", action="store_true")
    parser.add_argument("--stop-at", type=int, default=None)
    parser.add_argument("--mlm", action="store_true")
    parser.add_argument("--checkpointing", action="store_true")
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--compile", action="store_true")
    train(parser.parse_args())
