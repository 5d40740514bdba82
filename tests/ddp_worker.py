"""A tiny two-task training run, launched by tests/test_distributed.py on one or more CPU
processes (`torchrun --nproc_per_node N tests/ddp_worker.py WORLD OUT PER_DEVICE`).

Dropout is off, so runs that differ only in how the global batch is split across processes
and micro-steps must agree up to float rounding."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import XLMRobertaConfig, XLMRobertaModel

from xstilts.data.sources import load_examples
from xstilts.io import atomic_dir
from xstilts.modeling.encoding import encode
from xstilts.modeling.model import HeadInfo, MultiTaskModel
from xstilts.modeling.tokenizer import train_tokenizer
from xstilts.tasks import get_task
from xstilts.training.loop import LoopSettings, Trainer
from xstilts.training.objectives import TaskObjective

TASKS = ("qqp", "race")  # a pair head and a multiple-choice head: DDP sees unused parameters
SETTINGS = dict(max_steps=6, lr=1e-3, batch_size=8, eval_every=3, checkpoint_every=3)


def tokenizer_for(world: Path):
    lines = (world / "corpus" / "en.txt").read_text(encoding="utf-8").splitlines()
    return train_tokenizer(lines, vocab_size=500)


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


def train(world: Path, out: Path, per_device: int | None) -> None:
    tokenizer = tokenizer_for(world)
    torch.manual_seed(0)
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=70,
        type_vocab_size=1,
        pad_token_id=tokenizer.pad_token_id,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    model = MultiTaskModel(
        XLMRobertaModel(config, add_pooling_layer=False), [HeadInfo.for_task(t) for t in TASKS]
    )
    model.heads["race"].dropout.p = 0.0
    model.heads["qqp"].dropout.p = 0.0
    settings = LoopSettings(**SETTINGS, per_device_batch_size=per_device)
    objectives = [objective(t, world, tokenizer) for t in TASKS]
    trainer = Trainer(model, objectives, settings, 0, out.parent / f"{out.name}.state")
    result = trainer.fit()
    with atomic_dir(out) as tmp:
        weights = {k: v.contiguous() for k, v in trainer.raw_model.state_dict().items()}
        save_file(weights, str(tmp / "model.safetensors"))
        summary = {
            "history": result.history,
            "processes": trainer.processes,
            "micro_steps": trainer.micro_steps,
            "task_counts": result.task_counts,
        }
        (tmp / "result.json").write_text(json.dumps(summary), encoding="utf-8")
    trainer.clear_state()


if __name__ == "__main__":
    per_device = None if sys.argv[3] == "none" else int(sys.argv[3])
    train(Path(sys.argv[1]), Path(sys.argv[2]), per_device)
