"""Scores of predicted tag sequences: word accuracy (UD-POS) and entity F1 (WikiANN NER).

Entity F1 is seqeval's micro F1 (its default, conlleval-like span reading of BIO tags): spans are
found with seqeval's own `get_entities`, and F1 is kept as the counts (2 x true positives,
predicted + gold entities), so shards, batches and languages add up before the one division.
Accuracy is kept the same way, as (correct words, words). A word without a prediction
(`NO_TAG`) counts as wrong, and as `O` for spans.

XTREME reports UD-POS with seqeval's F1 too, which reads a bare POS tag's first letter as a chunk
prefix ("NOUN" is chunk "N" of type "OUN"), so runs of equal tags merge. `pos_f1` gives that
number for comparison with published results; `accuracy` is the per-word score.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

NO_TAG = -1
METRICS = ("accuracy", "f1")


@dataclass(frozen=True)
class Counts:
    """A score as numerator / denominator, so partial counts add up exactly."""

    numerator: float = 0.0
    denominator: float = 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.numerator + other.numerator, self.denominator + other.denominator)

    @property
    def score(self) -> float | None:
        """None when there is nothing to score (no words; no entity predicted or gold)."""
        return self.numerator / self.denominator if self.denominator else None


def tag_counts(
    metric: str, gold: Sequence[int], pred: Sequence[int], names: Sequence[str]
) -> Counts:
    """The counts of one sentence under `metric` ("accuracy" or "f1")."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(pred)} predicted tags for {len(gold)} words")
    if metric == "accuracy":
        return Counts(sum(g == p for g, p in zip(gold, pred, strict=True)), len(gold))
    if metric == "f1":
        gold_spans, pred_spans = entities(gold, names), entities(pred, names)
        return Counts(2 * len(gold_spans & pred_spans), len(gold_spans) + len(pred_spans))
    raise ValueError(f"unknown tagging metric {metric!r}; known: {', '.join(METRICS)}")


def corpus_counts(
    metric: str,
    gold: Sequence[Sequence[int]],
    pred: Sequence[Sequence[int]],
    names: Sequence[str],
) -> Counts:
    total = Counts()
    for g, p in zip(gold, pred, strict=True):
        total += tag_counts(metric, g, p, names)
    return total


def entities(tags: Sequence[int], names: Sequence[str]) -> set[tuple[str, int, int]]:
    """(type, first word, last word) of every entity, as seqeval reads BIO tags."""
    from seqeval.metrics.sequence_labeling import get_entities

    return set(get_entities([tag_name(t, names) for t in tags]))


def tag_name(tag: int, names: Sequence[str]) -> str:
    return "O" if tag == NO_TAG else names[tag]


def pos_f1(
    gold: Sequence[Sequence[int]], pred: Sequence[Sequence[int]], names: Sequence[str]
) -> float:
    """seqeval's F1 over bare POS tags, as XTREME reports UD-POS."""
    from seqeval.metrics import f1_score

    with warnings.catch_warnings():  # it warns that "NOUN seems not to be NE tag": known
        warnings.simplefilter("ignore", UserWarning)
        return float(
            f1_score(
                [[tag_name(t, names) for t in s] for s in gold],
                [[tag_name(t, names) for t in s] for s in pred],
            )
        )
