"""Accuracy under each perturbation, with the effective-perturbation check.

A perturbation that the model never sees is no test of robustness: its "accuracy under
perturbation" is clean accuracy. That is a perturbation the tokenizer erases (same token ids as
the clean input), and one that truncation cuts off (an edit past `max_length`, or in the part of
a choice example's context that is truncated): the check compares the input ids the model gets,
encoded exactly as for prediction (`xstilts.modeling.encoding.encode`). Every row therefore carries
an `effective` flag, and the headline drop is measured on effective examples only, next to the
effective rate; the accuracy over all perturbed inputs is reported as well. In a language where
no perturbed input is effective, the effective-only values are undefined: None (JSON null), left
out of the zero-shot mean. A language the family does not apply to is named in the variant's
`not_applicable` and left out of its zero-shot means (see `xstilts.evaluate.language_summary`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from transformers import PreTrainedTokenizerBase

from xstilts.evaluate.language_summary import difference, mean, per_language, ratio
from xstilts.evaluate.perturbed_set import PerturbedExample
from xstilts.examples import Example
from xstilts.modeling.encoding import encode

PredictFn = Callable[[list[Example]], np.ndarray]
InputsFn = Callable[[Sequence[Example]], list[Any]]


def model_inputs(tokenizer: PreTrainedTokenizerBase, max_length: int) -> InputsFn:
    """The input ids the model gets for each example, truncation included (for a choice example,
    one list per choice), as prediction encodes them."""

    def inputs(examples: Sequence[Example]) -> list[Any]:
        return [f["input_ids"] for f in encode(examples, tokenizer, max_length)]

    return inputs


class EffectiveCheck:
    """Whether the model's inputs of each perturbed example differ from its clean example's.

    Every variant perturbs the same clean examples, so their inputs are encoded once, the first
    time an example is asked about, and kept for the next variants."""

    def __init__(self, inputs: InputsFn) -> None:
        self.inputs = inputs
        self._clean: dict[tuple[str, str], Any] = {}

    def __call__(self, items: Sequence[PerturbedExample]) -> list[bool]:
        new = {(i.clean.lang, i.clean.id): i.clean for i in items}
        new = {key: e for key, e in new.items() if key not in self._clean}
        self._clean.update(zip(new, self.inputs(list(new.values())), strict=True))
        perturbed = self.inputs([i.perturbed for i in items])
        return [
            self._clean[(i.clean.lang, i.clean.id)] != p
            for i, p in zip(items, perturbed, strict=True)
        ]


def evaluate_perturbations(
    variants: dict[str, list[PerturbedExample]],
    predict_fn: PredictFn,
    inputs: InputsFn,
    clean_pred: dict[tuple[str, str], int],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-example rows and per-variant, per-language metrics."""
    rows: list[dict[str, Any]] = []
    metrics: dict[str, Any] = {}
    effective = EffectiveCheck(inputs)
    for variant, items in variants.items():
        preds = predict_fn([i.perturbed for i in items]).argmax(axis=-1)
        flags = effective(items)
        variant_rows = [
            perturbation_row(variant, i, int(p), clean_pred[(i.clean.lang, i.clean.id)], bool(f))
            for i, p, f in zip(items, preds, flags, strict=True)
        ]
        rows += variant_rows
        metrics[variant] = summarize_variant(variant_rows)
    return rows, metrics


def perturbation_row(
    variant: str, item: PerturbedExample, pred: int, clean_pred: int, effective: bool
) -> dict[str, Any]:
    """One per-example row; flagged `not_applicable` where the family does not apply."""
    row = {
        "id": item.clean.id,
        "lang": item.clean.lang,
        "variant": variant,
        "gold": item.clean.label,
        "pred": pred,
        "clean_pred": clean_pred,
        "effective": effective,
        "units": item.units,
        "edited": item.edited,
    }
    if not item.applicable:
        row["not_applicable"] = True
    return row


def summarize_variant(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-language metrics of one variant and their zero-shot means.

    The `*_effective` values are None in a language with no effective row (undefined, not a
    drop of 0), and such a language is left out of the zero-shot mean of `drop_effective`.
    """
    return per_language(rows, _summary, ("accuracy", "drop", "drop_effective", "effective_rate"))


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    correct = mean([r["pred"] == r["gold"] for r in rows])
    clean = mean([r["clean_pred"] == r["gold"] for r in rows])
    effective = [r for r in rows if r["effective"]]
    acc_eff = mean([r["pred"] == r["gold"] for r in effective])
    clean_eff = mean([r["clean_pred"] == r["gold"] for r in effective])
    return {
        "n": len(rows),
        "accuracy": correct,
        "clean_accuracy": clean,
        "drop": difference(clean, correct),
        "effective_rate": ratio(len(effective), len(rows)),
        "accuracy_effective": acc_eff,
        "clean_accuracy_effective": clean_eff,
        "drop_effective": difference(clean_eff, acc_eff),
        "perturbed_unit_ratio": ratio(
            sum(r["edited"] for r in rows), sum(r["units"] for r in rows)
        ),
    }
