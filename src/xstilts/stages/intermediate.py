"""The `intermediate` stage: English intermediate-task training for one (condition, seed).

A shared encoder (from the base model) with one head per task; a multi-task condition mixes its
tasks with the seeded sampler, one task per optimizer step. Selection on the mean English dev
score. A condition that lists `mlm` also continues multilingual masked-LM training on the
prepared corpus with the base model's own LM head, as one more task of the mix (Phang et al.
2020); selection stays on its labelled tasks. The baseline condition `none` trains nothing:
its output is a meta.json that says so, and the target stage then starts from the base model.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from xstilts.config import MLM_TASK, Params
from xstilts.io import atomic_dir, write_json
from xstilts.logs import log_to
from xstilts.modeling.model import (
    HeadInfo,
    MultiTaskModel,
    load_encoder,
    load_masked_lm,
    load_tokenizer,
)
from xstilts.ranks import is_main_process, wait_for_everyone
from xstilts.seeding import seed_everything
from xstilts.stages.finetune import fine_tune


def run_intermediate(
    params: Params,
    condition: str,
    seed: int,
    base: Path,
    prepared: Path,
    out_dir: Path,
    state_dir: Path,
) -> dict:
    tasks = params.conditions[condition]
    meta = {"stage": "intermediate", "condition": condition, "seed": seed, "tasks": list(tasks)}
    with atomic_dir(out_dir) as tmp, log_to(tmp / "train.log"):
        if not tasks:
            write_json(tmp / "meta.json", {**meta, "encoder": None, "heads": []})
            return meta
        seed_everything(seed)
        tokenizer = load_tokenizer(base)
        labelled = [task for task in tasks if task != MLM_TASK]
        heads = list({h.name: h for h in map(HeadInfo.for_task, labelled)}.values())
        dropout = params.intermediate.dropout
        if MLM_TASK in tasks:
            encoder, lm_head = load_masked_lm(base, dropout)
            model = MultiTaskModel(encoder, heads, lm_head)
            meta["mlm_head"] = "trained with the encoder, not saved (targets read the encoder)"
        else:
            model = MultiTaskModel(load_encoder(base, dropout), heads)
        _, summary = fine_tune(
            model,
            tasks,
            params.intermediate,
            params.execution.intermediate,
            prepared,
            tokenizer,
            seed,
            state_dir,
            run_name=f"intermediate/{condition}/seed{seed}",
        )
        meta = {**meta, "encoder": "encoder", **summary}
        model.save(tmp, tokenizer, meta)
    wait_for_everyone()
    if is_main_process():
        shutil.rmtree(state_dir, ignore_errors=True)
    return meta
