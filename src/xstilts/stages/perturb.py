"""The `perturb` stage: the perturbed test set of one (target task, seed), shared by every
condition's evaluation (see `xstilts.evaluate.perturbed_set`)."""

from __future__ import annotations

from pathlib import Path

from xstilts.config import Params
from xstilts.evaluate import generalized
from xstilts.evaluate.perturbed_set import (
    build_perturbed_set,
    family_resources,
    robustness_examples,
)
from xstilts.io import write_jsonl
from xstilts.modeling.model import load_tokenizer
from xstilts.perturb import build_families
from xstilts.tasks import get_task


def run_perturb(
    params: Params, task: str, seed: int, prepared: Path, base: Path, lexicons: Path, out: Path
) -> int:
    """Write the manifest of perturbed examples; returns its number of records. Families that
    filter by tokenizer survival (homoglyphs, invisible characters) use the base model's
    tokenizer, which every condition shares. A tagging task's perturbations carry its tags
    (`xstilts.perturb.tagged`). A parallel pair task's set also holds its generalized pairs
    (`xstilts.evaluate.generalized`)."""
    resources = family_resources(params, lexicons, load_tokenizer(base))
    families = build_families(params.robustness.families, resources)
    examples = robustness_examples(params, prepared, task)
    spec = get_task(task)
    tag_names = spec.labels if spec.kind == "tagging" else None
    records = build_perturbed_set(
        examples, families, params.robustness.strengths, seed, tag_names=tag_names
    )
    if generalized.applies(params, task):
        records += generalized.generalized_records(examples, seed)
    write_jsonl(out, records)
    return len(records)
