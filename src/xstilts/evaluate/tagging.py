"""Zero-shot evaluation of a tagging checkpoint: clean, and under every perturbation variant.

Scores are the task's metric over a language's words (word accuracy) or entities (entity F1),
computed from summed counts. Per-example rows keep the gold and predicted tag lists; the paired
statistics read such a row as correct when every tag of the sentence is (sentence exact match),
because their tests need one independent 0/1 outcome per example, which words of one sentence
are not. The per-word and per-entity scores are what the metrics report.

No-skill level ("chance"): for word accuracy, the share of the language's most frequent gold
tag (a tagger that always says NOUN); for entity F1, 0 (a tagger that never finds an entity).

Under a perturbation, a word-level family changes the words, so the perturbed example has its own
gold tags (carried with the words, `xstilts.perturb.tagged`); the clean score it is compared
with is the clean example's, on the same examples.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from xstilts.attack.scorer import BatchPredictor
from xstilts.evaluate.language_summary import difference, mean, per_language, ratio
from xstilts.evaluate.under_perturbation import EffectiveCheck, InputsFn
from xstilts.examples import TaggedExample
from xstilts.modeling.predict_tags import predict_tag_probs
from xstilts.modeling.tagged_inputs import EncodedTags, encode_tagged
from xstilts.tag_metrics import corpus_counts, entities, pos_f1


class TagPredictor(BatchPredictor):
    """Tag probabilities [words, tags] for a list of tagged examples, with the settings of the
    classification predictor."""

    def __call__(self, examples: list[TaggedExample]) -> list[np.ndarray]:  # type: ignore[override]
        return self.probs(self.encode(examples))

    def encode(self, examples: list[TaggedExample]) -> EncodedTags:
        return encode_tagged(examples, self.tokenizer, self.max_length)

    def probs(self, encoded: EncodedTags) -> list[np.ndarray]:
        return predict_tag_probs(
            self.model,
            self.head,
            encoded,
            self.tokenizer.pad_token_id,
            self.batch_size,
            self.precision,
        )

    def tags(self, examples: list[TaggedExample]) -> list[list[int]]:
        return argmax_tags(self(examples))


def argmax_tags(probs: list[np.ndarray]) -> list[list[int]]:
    return [p.argmax(axis=-1).tolist() for p in probs]


def clean_records(
    examples: Sequence[TaggedExample], preds: Sequence[list[int]], lang: str
) -> list[dict[str, Any]]:
    return [
        {"id": e.id, "lang": lang, "gold": list(e.tags), "pred": list(p)}
        for e, p in zip(examples, preds, strict=True)
    ]


def language_scores(
    metric: str, names: Sequence[str], examples: Sequence[TaggedExample], preds: Sequence[list[int]]
) -> dict[str, Any]:
    """One language's score, no-skill level, trials (words or entities) and extras."""
    gold = [list(e.tags) for e in examples]
    counts = corpus_counts(metric, gold, preds, names)
    scores: dict[str, Any] = {
        "score": counts.score or 0.0,
        "chance": no_skill(metric, gold),
        "trials": int(counts.denominator) if metric == "accuracy" else gold_entities(gold, names),
        "exact_match": mean([list(g) == list(p) for g, p in zip(gold, preds, strict=True)]),
    }
    if metric == "accuracy":
        scores["pos_f1"] = pos_f1(gold, preds, names)
    return scores


def gold_entities(gold: Sequence[Sequence[int]], names: Sequence[str]) -> int:
    return sum(len(entities(sentence, names)) for sentence in gold)


def no_skill(metric: str, gold: Sequence[Sequence[int]]) -> float:
    if metric != "accuracy":
        return 0.0
    tags = Counter(t for sentence in gold for t in sentence)
    total = sum(tags.values())
    return max(tags.values()) / total if total else 0.0


def evaluate_tag_perturbations(
    variants: dict[str, list[Any]],
    predictor: TagPredictor,
    inputs: InputsFn,
    clean_pred: dict[tuple[str, str], list[int]],
    metric: str,
    names: Sequence[str],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-example rows and per-variant, per-language metrics, as for classification; `items`
    are `PerturbedExample`s whose `perturbed` example carries its own gold tags."""
    rows: list[dict[str, Any]] = []
    metrics: dict[str, Any] = {}
    effective = EffectiveCheck(inputs)
    for variant, items in variants.items():
        preds = predictor.tags([i.perturbed for i in items])
        flags = effective(items)
        variant_rows = [
            _row(variant, item, pred, clean_pred[(item.clean.lang, item.clean.id)], flag)
            for item, pred, flag in zip(items, preds, flags, strict=True)
        ]
        rows += variant_rows
        metrics[variant] = per_language(
            variant_rows,
            lambda lang_rows: _summary(lang_rows, metric, names),
            ("score", "drop", "drop_effective", "effective_rate"),
        )
    return rows, metrics


def _row(variant: str, item: Any, pred: list[int], clean: list[int], effective: bool) -> dict:
    row = {
        "id": item.clean.id,
        "lang": item.clean.lang,
        "variant": variant,
        "gold": list(item.perturbed.tags),
        "pred": pred,
        "clean_gold": list(item.clean.tags),
        "clean_pred": clean,
        "effective": effective,
        "units": item.units,
        "edited": item.edited,
    }
    if not item.applicable:
        row["not_applicable"] = True
    return row


def _summary(rows: list[dict[str, Any]], metric: str, names: Sequence[str]) -> dict[str, Any]:
    def score(subset: list[dict[str, Any]], gold: str, pred: str) -> float | None:
        if not subset:
            return None
        counts = corpus_counts(metric, [r[gold] for r in subset], [r[pred] for r in subset], names)
        return counts.score if counts.denominator else 0.0

    effective = [r for r in rows if r["effective"]]
    perturbed, clean = score(rows, "gold", "pred"), score(rows, "clean_gold", "clean_pred")
    perturbed_eff = score(effective, "gold", "pred")
    clean_eff = score(effective, "clean_gold", "clean_pred")
    return {
        "n": len(rows),
        "score": perturbed,
        "clean_score": clean,
        "drop": difference(clean, perturbed),
        "effective_rate": ratio(len(effective), len(rows)),
        "score_effective": perturbed_eff,
        "clean_score_effective": clean_eff,
        "drop_effective": difference(clean_eff, perturbed_eff),
        "perturbed_unit_ratio": ratio(
            sum(r["edited"] for r in rows), sum(r["units"] for r in rows)
        ),
    }
