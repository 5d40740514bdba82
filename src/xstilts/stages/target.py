"""The `target` stage: English training of one target task for one (condition, seed).

A fresh head on the intermediate encoder (or on the base model for `none`), trained on the
task's English data and selected on English dev only (no target-language data is ever seen).
A target with a `train_sequence` (XCOPA: SIQA, then COPA) trains its one head on each task in
turn, each step selected on that task's English dev set and starting from the previous step's
selected weights. A finished step is kept in the run's resume state, so an interrupted sequence
resumes at the step it was in. Under an RS-DA condition (`<condition>+rsda`) the one step trains
on RS-DA's copies of the English training split (`train_file`, the augment stage's output).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from transformers import PreTrainedTokenizerBase

from xstilts.config import ExecutionConfig, Params, TrainingConfig, intermediate_condition
from xstilts.io import atomic_dir
from xstilts.logs import log_to
from xstilts.modeling.meta import encoder_source
from xstilts.modeling.model import (
    HeadInfo,
    MultiTaskModel,
    load_checkpoint,
    load_encoder,
    load_tokenizer,
    read_meta,
)
from xstilts.ranks import is_main_process, wait_for_everyone
from xstilts.seeding import seed_everything
from xstilts.stages.finetune import fine_tune


def base_identity(base_meta: dict[str, Any]) -> dict[str, Any]:
    """Which pretrained model a checkpoint grew from: the hub repo and revision of a full run, or
    the sample world's own pretraining (its languages), so readers of a checkpoint (the demo's
    header) can say which models they show."""
    keys = ("source", "model", "revision", "languages")
    return {k: base_meta[k] for k in keys if k in base_meta}


def train_steps(
    model: MultiTaskModel,
    steps: tuple[tuple[str, TrainingConfig], ...],
    execution: ExecutionConfig,
    head: str,
    prepared: Path,
    tokenizer: PreTrainedTokenizerBase,
    seed: int,
    state_dir: Path,
    run_name: str,
    train_file: Path | None = None,
) -> tuple[MultiTaskModel, list[dict[str, Any]]]:
    """Run each training step on `head`; returns the final model and one summary per step.
    A one-step target may train on `train_file` instead of its prepared train split."""

    def train(
        task: str, config: TrainingConfig, state: Path, name: str, file: Path | None
    ) -> dict[str, Any]:
        files = {task: file} if file is not None else None
        _, summary = fine_tune(
            model, (task,), config, execution, prepared, tokenizer, seed, state, name, head, files
        )
        return {"task": task, **summary}

    if len(steps) == 1:
        task, config = steps[0]
        return model, [train(task, config, state_dir, run_name, train_file)]
    if train_file is not None:
        raise ValueError("a target trained in steps takes no training file of its own")
    summaries = []
    for index, (task, config) in enumerate(steps):
        done = state_dir / f"step{index}-{task}.done"
        if (done / "meta.json").exists():  # finished before an interruption
            model, _, summary = load_checkpoint(done)
            model.train()
        else:
            step = f"step{index}-{task}"
            summary = train(task, config, state_dir / step, f"{run_name}/{step}", None)
            if index < len(steps) - 1:
                with atomic_dir(done) as tmp:
                    model.save(tmp, tokenizer, summary)
        summaries.append({k: v for k, v in summary.items() if k != "heads"})
    return model, summaries


def _data_tag(train_file: Path | None) -> str:
    """A digest of a training file in the run's name, so the resume state of an interrupted run
    on other copies (other neighbours, say: same sizes, other words) is not resumed from."""
    if train_file is None:
        return ""
    return f"@{hashlib.sha256(train_file.read_bytes()).hexdigest()[:12]}"


def run_target(
    params: Params,
    condition: str,
    task: str,
    seed: int,
    base: Path,
    intermediate: Path,
    prepared: Path,
    out_dir: Path,
    state_dir: Path,
    train_file: Path | None = None,
) -> dict:
    steps = params.target.steps_for(task)
    meta = {
        "stage": "target",
        "condition": condition,
        "task": task,
        "seed": seed,
        "base": base_identity(read_meta(base)),
    }
    if train_file is not None:
        rsda = params.rsda
        meta["rsda"] = {"copies": rsda.copies[task], "neighbours": rsda.neighbours}
    with atomic_dir(out_dir) as tmp, log_to(tmp / "train.log"):
        seed_everything(seed)
        tokenizer = load_tokenizer(base)
        encoder = load_encoder(encoder_source(intermediate, base), steps[0][1].dropout)
        head = HeadInfo.for_task(task)
        model, summaries = train_steps(
            MultiTaskModel(encoder, [head]),
            steps,
            params.execution.target,
            head.name,
            prepared,
            tokenizer,
            seed,
            state_dir,
            run_name=f"target/{condition}/{task}/seed{seed}{_data_tag(train_file)}",
            train_file=train_file,
        )
        final = {k: v for k, v in summaries[-1].items() if k != "task"}
        meta = {
            **meta,
            "intermediate_tasks": list(params.conditions[intermediate_condition(condition)]),
            "train_sequence": [s["task"] for s in summaries],
            **final,
        }
        if len(summaries) > 1:
            meta["steps_summary"] = summaries
        model.save(tmp, tokenizer, meta)
    wait_for_everyone()
    if is_main_process():
        shutil.rmtree(state_dir, ignore_errors=True)
    return meta
