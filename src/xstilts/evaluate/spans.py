"""Zero-shot evaluation of a span-QA checkpoint: clean, and under every perturbation variant.

Scores are F1 and exact match of the chosen answer against the gold answers (the best over
them), with the benchmark's own answer normalisation (`xstilts.qa_metrics`: SQuAD's for XQuAD
and TyDiQA, MLQA's for MLQA), averaged over a language's questions; the per-example F1 is kept
in every row for the paired statistics. No-skill level ("chance"): 0, the F1 of a model that
returns nothing.

Effective perturbations: a perturbed question is effective when the model's inputs differ from
the clean ones, compared window by window as prediction builds them (question + the context
windows, `xstilts.modeling.span_inputs`): an edit the tokenizer erases, or one in a part of a
long question that is cut off, is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xstilts.evaluate.language_summary import difference, mean, per_language, ratio
from xstilts.evaluate.perturbed_set import PerturbedExample
from xstilts.evaluate.under_perturbation import EffectiveCheck
from xstilts.examples import SpanExample
from xstilts.modeling.model import MultiTaskModel
from xstilts.modeling.predict_spans import (
    Answer,
    SpanChoice,
    answers_with_gold_probability,
    predict_answers,
)
from xstilts.modeling.span_inputs import EncodedSpans, Windowing, encode_spans
from xstilts.qa_metrics import score


class SpanPredictor:
    """Answers for lists of span examples, with one checkpoint's windowing and answer choice."""

    def __init__(
        self,
        model: MultiTaskModel,
        tokenizer: Any,
        head: str,
        windowing: Windowing,
        choice: SpanChoice,
        batch_size: int = 128,
        precision: str = "auto",
    ) -> None:
        self.model, self.tokenizer, self.head = model, tokenizer, head
        self.windowing, self.choice = windowing, choice
        self.batch_size, self.precision = batch_size, precision

    def encode(self, examples: Sequence[SpanExample]) -> EncodedSpans:
        return encode_spans(examples, self.tokenizer, self.windowing)

    def answers(self, encoded: EncodedSpans) -> list[Answer]:
        return predict_answers(
            self.model,
            self.head,
            encoded,
            self.tokenizer.pad_token_id,
            self.choice,
            self.batch_size,
            self.precision,
        )

    def __call__(self, examples: Sequence[SpanExample]) -> list[Answer]:
        return self.answers(self.encode(examples))

    def window_ids(self, examples: Sequence[SpanExample]) -> list[list[list[int]]]:
        """Each example's windows as the model gets them (the effective check)."""
        encoded = self.encode(examples)
        return [[encoded[w]["input_ids"] for w in windows] for windows in encoded.grouped]


def answer_scores(answer: Answer, example: SpanExample, normalization: str) -> tuple[float, float]:
    """(exact match, F1) of an answer against the example's gold answers."""
    return score(answer.text, example.answers, normalization, example.lang)


def clean_records(
    examples: Sequence[SpanExample], answers: Sequence[Answer], normalization: str
) -> list[dict[str, Any]]:
    rows = []
    for example, answer in zip(examples, answers, strict=True):
        em, f1 = answer_scores(answer, example, normalization)
        rows.append(
            {
                "id": example.id,
                "lang": example.lang,
                "gold": list(example.answers),
                "pred": answer.text,
                "pred_start": answer.start,
                "em": em,
                "f1": round(f1, 6),
            }
        )
    return rows


def language_scores(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        "f1": mean([r["f1"] for r in rows]) or 0.0,
        "exact_match": mean([r["em"] for r in rows]) or 0.0,
    }


def evaluate_span_perturbations(
    variants: dict[str, list[PerturbedExample]],
    predictor: SpanPredictor,
    clean_rows: dict[tuple[str, str], dict[str, Any]],
    normalization: str,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-example rows and per-variant, per-language metrics (F1 under perturbation, its drop
    from the clean F1 of the same questions, on all and on effective ones)."""
    rows: list[dict[str, Any]] = []
    metrics: dict[str, Any] = {}
    effective = EffectiveCheck(predictor.window_ids)
    for variant, items in variants.items():
        perturbed = [i.perturbed for i in items]
        answers = predictor(perturbed)
        flags = effective(items)
        variant_rows = []
        for item, answer, flag in zip(items, answers, flags, strict=True):
            em, f1 = answer_scores(answer, item.perturbed, normalization)
            clean = clean_rows[(item.clean.lang, item.clean.id)]
            variant_rows.append(_row(variant, item, answer, em, f1, clean, flag))
        rows += variant_rows
        metrics[variant] = per_language(
            variant_rows, _summary, ("f1", "drop", "drop_effective", "effective_rate")
        )
    return rows, metrics


def _row(
    variant: str,
    item: PerturbedExample,
    answer: Answer,
    em: float,
    f1: float,
    clean: dict[str, Any],
    effective: bool,
) -> dict[str, Any]:
    row = {
        "id": item.clean.id,
        "lang": item.clean.lang,
        "variant": variant,
        "gold": list(item.perturbed.answers),
        "pred": answer.text,
        "em": em,
        "f1": round(f1, 6),
        "clean_pred": clean["pred"],
        "clean_em": clean["em"],
        "clean_f1": clean["f1"],
        "effective": effective,
        "units": item.units,
        "edited": item.edited,
    }
    if not item.applicable:
        row["not_applicable"] = True
    return row


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    effective = [r for r in rows if r["effective"]]
    f1, clean = mean([r["f1"] for r in rows]), mean([r["clean_f1"] for r in rows])
    f1_eff, clean_eff = mean([r["f1"] for r in effective]), mean([r["clean_f1"] for r in effective])
    return {
        "n": len(rows),
        "f1": f1,
        "clean_f1": clean,
        "exact_match": mean([r["em"] for r in rows]),
        "drop": difference(clean, f1),
        "effective_rate": ratio(len(effective), len(rows)),
        "f1_effective": f1_eff,
        "clean_f1_effective": clean_eff,
        "drop_effective": difference(clean_eff, f1_eff),
        "perturbed_unit_ratio": ratio(
            sum(r["edited"] for r in rows), sum(r["units"] for r in rows)
        ),
    }


def scored_answers(predictor: SpanPredictor, examples: Sequence[SpanExample]) -> list:
    """(answer, gold-span probability) of each example: what the span attack asks."""
    return answers_with_gold_probability(
        predictor.model,
        predictor.head,
        predictor.encode(examples),
        predictor.tokenizer.pad_token_id,
        predictor.choice,
        predictor.batch_size,
        predictor.precision,
    )
