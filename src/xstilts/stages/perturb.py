"""The `perturb` stage: the perturbed test set of one (target task, seed), shared by every
condition's evaluation (see `xstilts.robustness.perturbed_set`)."""

from __future__ import annotations

from pathlib import Path

from xstilts.config import Params
from xstilts.data.prepared import read_split, target_languages
from xstilts.examples import Example
from xstilts.io import write_jsonl
from xstilts.modeling.model import load_tokenizer
from xstilts.perturb import Resources, build_families
from xstilts.robustness.perturbed_set import build_perturbed_set


def robustness_examples(params: Params, prepared: Path, task: str) -> list[Example]:
    """The first `robustness.max_examples` test examples of each language of the task."""
    limit = params.robustness.max_examples
    examples: list[Example] = []
    for lang in target_languages(params, task):
        examples += read_split(prepared, task, "test", lang)[:limit]
    return examples


def family_resources(params: Params, lexicons: Path, tokenizer=None) -> Resources:
    languages = params.robustness.codeswitch_languages
    return Resources(lexicon_dir=lexicons, tokenizer=tokenizer, codeswitch_languages=languages)


def run_perturb(
    params: Params, task: str, seed: int, prepared: Path, base: Path, lexicons: Path, out: Path
) -> int:
    """Write the manifest of perturbed examples; returns its number of records. Families that
    filter by tokenizer survival (homoglyphs, invisible characters) use the base model's
    tokenizer, which every condition shares."""
    resources = family_resources(params, lexicons, load_tokenizer(base))
    families = build_families(params.robustness.families, resources)
    examples = robustness_examples(params, prepared, task)
    records = build_perturbed_set(examples, families, params.robustness.strengths, seed)
    write_jsonl(out, records)
    return len(records)
