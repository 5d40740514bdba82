"""The perturbed test set of one (target task, seed): every family at every strength applied to
the first N test examples of each language, written once and shared by all conditions.

Each JSONL record is the manifest entry of one perturbed example: id, language, family,
strength, seed, the perturbed field texts, the edits as code-point offsets into the clean
fields, and the units counted and edited (for the perturbed-unit ratio). A tagged sentence's
fields are its perturbed `words` and `tags` (the words carry the tags, see
`xstilts.perturb.tagged`), its edits offsets into the clean words joined by single spaces. A
span-QA example's fields are its perturbed `question` and `context` and the gold `answers` and
their `starts` as the context's edits left them (`xstilts.perturb.spans`).

A family that does not apply to an example's language (code-switching without a lexicon for it,
a keyboard typo without a layout) leaves the example unchanged; its record is kept, flagged
`"not_applicable": true`, so that the metrics count and name the language instead of reading
its unchanged inputs as a model that no perturbation hurts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xstilts.config import Params
from xstilts.data.prepared import read_split, target_languages
from xstilts.examples import Example, SpanExample, TaggedExample
from xstilts.perturb import Perturbation, Perturbed, Resources
from xstilts.perturb.examples import perturb_example, with_fields


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


def variant_name(family: str, strength: float) -> str:
    return f"{family}@{strength:g}"


def build_perturbed_set(
    examples: Iterable[Example],
    families: dict[str, Perturbation],
    strengths: Iterable[float],
    seed: int,
    tag_names: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Manifest records for every (example, family, strength), in a stable order; tagged
    examples need the task's `tag_names`."""
    strengths = tuple(strengths)
    return [
        perturbed_record(example, name, family, strength, seed, tag_names)
        for example in examples
        for name, family in families.items()
        for strength in strengths
    ]


def perturbed_record(
    example: Example,
    name: str,
    family: Perturbation,
    strength: float,
    seed: int,
    tag_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The manifest record of one example under one family at one strength."""
    perturbed, results = perturb_example(example, family, strength, seed, tag_names)
    record = {
        "id": example.id,
        "lang": example.lang,
        "variant": variant_name(name, strength),
        "family": name,
        "strength": strength,
        "seed": seed,
        "fields": _record_fields(perturbed, results),
        "edits": {
            f: [[e.start, e.end, e.replacement] for e in p.edits]
            for f, p in results.items()
            if p.edits
        },
        "units": sum(p.n_units for p in results.values()),
        "edited": sum(p.n_edited for p in results.values()),
    }
    if not family.supports(example.lang):
        record["not_applicable"] = True
    return record


def _record_fields(perturbed: Example, results: dict[str, Perturbed]) -> dict[str, Any]:
    """The perturbed field texts, or a tagged sentence's words and tags (which `with_fields`
    rebuilds it from: its text alone would not say which word has which tag)."""
    if isinstance(perturbed, TaggedExample):
        return {"words": list(perturbed.words), "tags": list(perturbed.tags)}
    if isinstance(perturbed, SpanExample):  # the answers as the context's edits left them
        return {f: p.text for f, p in results.items()} | {
            "answers": list(perturbed.answers),
            "starts": list(perturbed.starts),
        }
    return {f: p.text for f, p in results.items()}


@dataclass(frozen=True)
class PerturbedExample:
    """One perturbed input, rebuilt from its clean example and its manifest record."""

    variant: str
    clean: Example
    perturbed: Example
    units: int
    edited: int
    applicable: bool = True


def read_perturbed_set(
    records: Iterable[dict[str, Any]], clean: dict[tuple[str, str], Example]
) -> dict[str, list[PerturbedExample]]:
    """Perturbed examples by variant; `clean` maps (language, id) to the clean example."""
    by_variant: dict[str, list[PerturbedExample]] = {}
    for record in records:
        example = clean[(record["lang"], record["id"])]
        by_variant.setdefault(record["variant"], []).append(
            PerturbedExample(
                record["variant"],
                example,
                with_fields(example, record["fields"]),
                record["units"],
                record["edited"],
                not record.get("not_applicable", False),
            )
        )
    return by_variant
