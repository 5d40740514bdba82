"""Perturbing typed examples: which text fields a perturbation may touch, and applying a family
to all of them with a seed that depends only on (seed, example id, family, field).

The perturbed inputs therefore do not depend on the model: every condition is evaluated on the
very same perturbed examples, which is what the paired statistics need.

Fields: a pair perturbs both texts, a single text its text, multiple choice its context and every
choice. A multiple-choice *question* is left alone: in COPA/XCOPA it is the relation word
("cause"/"effect"), i.e. part of the label space rather than of the input text.
"""

from __future__ import annotations

import dataclasses

from xstilts.examples import ChoiceExample, Example, PairExample, TextExample
from xstilts.perturb.base import Perturbation, Perturbed
from xstilts.perturb.rng import rng_for


def example_fields(example: Example) -> dict[str, str]:
    """The perturbable texts of an example, by field name (`choice0`, `choice1`... for choices)."""
    if isinstance(example, PairExample):
        return {"text_a": example.text_a, "text_b": example.text_b}
    if isinstance(example, TextExample):
        return {"text": example.text}
    if isinstance(example, ChoiceExample):
        return {"context": example.context} | {
            f"choice{i}": c for i, c in enumerate(example.choices)
        }
    raise TypeError(f"not an example: {type(example).__name__}")


def with_fields(example: Example, texts: dict[str, str]) -> Example:
    """A copy of `example` whose perturbable fields are replaced by `texts` (others kept)."""
    if isinstance(example, ChoiceExample):
        choices = tuple(texts.get(f"choice{i}", choice) for i, choice in enumerate(example.choices))
        return dataclasses.replace(
            example, context=texts.get("context", example.context), choices=choices
        )
    unknown = set(texts) - set(example_fields(example))
    if unknown:
        raise KeyError(f"unknown fields {sorted(unknown)} for {type(example).__name__}")
    return dataclasses.replace(example, **texts)


def perturb_example(
    example: Example, family: Perturbation, strength: float, seed: int
) -> tuple[Example, dict[str, Perturbed]]:
    """Apply `family` at `strength` to every perturbable field of `example`."""
    results = {}
    for name, text in example_fields(example).items():
        rng = rng_for(seed, example.id, family.name, name)
        results[name] = family.apply(text, example.lang, strength, rng)
    return with_fields(example, {k: p.text for k, p in results.items()}), results
