"""The `target` stage: English training of one target task for one (condition, seed).

A fresh head on the intermediate encoder (or on the base model for `none`), trained on the
task's English data and selected on English dev only (no target-language data is ever seen).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from xstilts.config import Params
from xstilts.io import atomic_dir
from xstilts.logs import log_to
from xstilts.modeling.model import (
    HeadInfo,
    MultiTaskModel,
    load_encoder,
    load_tokenizer,
    read_meta,
)
from xstilts.ranks import is_main_process, wait_for_everyone
from xstilts.seeding import seed_everything
from xstilts.stages.finetune import fine_tune


def encoder_source(intermediate: Path, base: Path) -> Path:
    """The intermediate checkpoint's encoder, or the base model when there was none."""
    encoder = read_meta(intermediate).get("encoder")
    return base if encoder is None else intermediate / encoder


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
) -> dict:
    config = params.target.training_for(task)
    meta = {"stage": "target", "condition": condition, "task": task, "seed": seed}
    with atomic_dir(out_dir) as tmp, log_to(tmp / "train.log"):
        seed_everything(seed)
        tokenizer = load_tokenizer(base)
        encoder = load_encoder(encoder_source(intermediate, base), config.dropout)
        model = MultiTaskModel(encoder, [HeadInfo.for_task(task)])
        _, summary = fine_tune(
            model,
            (task,),
            config,
            prepared,
            tokenizer,
            seed,
            state_dir,
            run_name=f"target/{condition}/{task}/seed{seed}",
        )
        meta = {**meta, "intermediate_tasks": list(params.conditions[condition]), **summary}
        model.save(tmp, tokenizer, meta)
    wait_for_everyone()
    if is_main_process():
        shutil.rmtree(state_dir, ignore_errors=True)
    return meta
