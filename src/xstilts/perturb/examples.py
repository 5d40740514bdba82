"""Perturbing typed examples: which text fields a perturbation may touch, and applying a family
to all of them with a seed that depends only on (seed, example id, family, field).

The perturbed inputs therefore do not depend on the model: every condition is evaluated on the
very same perturbed examples, which is what the paired statistics need.

Fields: a pair perturbs both texts, a single text its text, multiple choice its context and every
choice. A multiple-choice *question* is left alone: in COPA/XCOPA it is the relation word
("cause"/"effect"), i.e. part of the label space rather than of the input text. A tagged
sentence is one field, `text` (its words joined by single spaces), perturbed over its own words
with the tags carried along (`xstilts.perturb.tagged`); it is rebuilt from `words` and `tags`,
never from a text, which would not say where the words and their tags are. A span-QA example's
fields are its question and its context, the gold answers carried through the context's edits
(`xstilts.perturb.spans`); it is rebuilt from `question`, `context`, `answers` and `starts`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from xstilts.examples import (
    ChoiceExample,
    Example,
    PairExample,
    SpanExample,
    TaggedExample,
    TextExample,
)
from xstilts.perturb.base import Perturbation, Perturbed
from xstilts.perturb.rng import rng_for
from xstilts.perturb.spans import perturb_span_example
from xstilts.perturb.tagged import FIELD as TAGGED_FIELD
from xstilts.perturb.tagged import perturb_tagged

TAGGED_FIELDS = ("words", "tags")


def example_fields(example: Example) -> dict[str, str]:
    """The perturbable texts of an example, by field name (`choice0`, `choice1`... for choices)."""
    if isinstance(example, PairExample):
        return {"text_a": example.text_a, "text_b": example.text_b}
    if isinstance(example, TextExample):
        return {"text": example.text}
    if isinstance(example, TaggedExample):
        return {TAGGED_FIELD: example.text}
    if isinstance(example, SpanExample):
        return {"question": example.question, "context": example.context}
    if isinstance(example, ChoiceExample):
        return {"context": example.context} | {
            f"choice{i}": c for i, c in enumerate(example.choices)
        }
    raise TypeError(f"not an example: {type(example).__name__}")


def with_fields(example: Example, texts: Mapping[str, Any]) -> Example:
    """A copy of `example` whose perturbable fields are replaced by `texts` (others kept); a
    tagged example takes `words` and `tags` instead of its text."""
    if isinstance(example, TaggedExample):
        return _with_words(example, texts)
    if isinstance(example, SpanExample):
        return _with_span_fields(example, texts)
    if isinstance(example, ChoiceExample):
        choices = tuple(texts.get(f"choice{i}", choice) for i, choice in enumerate(example.choices))
        return dataclasses.replace(
            example, context=texts.get("context", example.context), choices=choices
        )
    unknown = set(texts) - set(example_fields(example))
    if unknown:
        raise KeyError(f"unknown fields {sorted(unknown)} for {type(example).__name__}")
    return dataclasses.replace(example, **texts)


def _with_words(example: TaggedExample, fields: Mapping[str, Any]) -> TaggedExample:
    unknown = set(fields) - set(TAGGED_FIELDS)
    if unknown:
        raise KeyError(
            f"unknown fields {sorted(unknown)} for TaggedExample: it is rebuilt from "
            f"{' and '.join(TAGGED_FIELDS)}, since a text does not say which word has which tag"
        )
    words = tuple(fields.get("words", example.words))
    tags = tuple(fields.get("tags", example.tags))
    return dataclasses.replace(example, words=words, tags=tags)


SPAN_FIELDS = ("question", "context", "answers", "starts")


def _with_span_fields(example: SpanExample, fields: Mapping[str, Any]) -> SpanExample:
    """A span example with a new question and/or context; a new context needs the answers' new
    `starts` (and their new texts where the edits changed them; the example checks each answer
    is at its offset)."""
    unknown = set(fields) - set(SPAN_FIELDS)
    if unknown:
        raise KeyError(f"unknown fields {sorted(unknown)} for SpanExample ({SPAN_FIELDS})")
    if "context" in fields and fields["context"] != example.context and "starts" not in fields:
        raise KeyError("a SpanExample's new context needs its answers' new 'starts'")
    return dataclasses.replace(
        example,
        question=fields.get("question", example.question),
        context=fields.get("context", example.context),
        answers=tuple(fields.get("answers", example.answers)),
        starts=tuple(fields.get("starts", example.starts)),
    )


def perturb_example(
    example: Example,
    family: Perturbation,
    strength: float,
    seed: int,
    tag_names: Sequence[str] | None = None,
) -> tuple[Example, dict[str, Perturbed]]:
    """Apply `family` at `strength` to every perturbable field of `example`. A tagged example
    needs the task's `tag_names`: the rules that carry tags through merged, split or switched
    words differ for BIO entity tags and for POS tags."""
    if isinstance(example, TaggedExample):
        if tag_names is None:
            raise ValueError(
                f"perturbing tagged example {example.id} needs the task's tag names (tag_names)"
            )
        perturbed, result = perturb_tagged(example, family, strength, seed, tag_names)
        return perturbed, {TAGGED_FIELD: result}
    if isinstance(example, SpanExample):
        return perturb_span_example(example, family, strength, seed)
    results = {}
    for name, text in example_fields(example).items():
        rng = rng_for(seed, example.id, family.name, name)
        results[name] = family.apply(text, example.lang, strength, rng)
    return with_fields(example, {k: p.text for k, p in results.items()}), results
