"""Span QA's generalized cross-lingual transfer (MLQA's G-XLT): a question in one language about
a context in another.

MLQA's paper evaluates every (context language, question language) pair of its seven languages;
XTREME reports the same-language pairs (XLT), which are the target's test sets. With
`evaluate.cross_language` on, the evaluate stage also answers every other pair's test set
(`test-question-<q>` splits in the context's language, `xstilts.data.prepared`) with the same
checkpoint, windows and answer choice, clean only, and scores it with the benchmark's
normalisation in the context's language (the answer's, as MLQA's script takes it). Metrics:
F1, exact match and questions per pair (`<context>-<question>`), the mean F1 over the pairs, and
the mean per question language and per context language, beside the same-language F1.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xstilts.data.prepared import read_split
from xstilts.evaluate.spans import SpanPredictor, clean_records, language_scores
from xstilts.tasks.spec import cross_split


def pair_name(context: str, question: str) -> str:
    return f"{context}-{question}"


def evaluate_cross_language(
    predictor: SpanPredictor,
    prepared: Path,
    task: str,
    pairs: Sequence[tuple[str, str]],
    normalization: str,
    same_language: dict[str, float],
) -> dict[str, Any]:
    """Scores of every (context, question) pair's test set; `same_language` is the target's own
    F1 per language (the diagonal), kept beside them for the comparison."""
    scores: dict[str, dict[str, Any]] = {}
    for context, question in pairs:
        examples = read_split(prepared, task, cross_split(question), context)
        rows = clean_records(examples, predictor(examples), normalization)
        scores[pair_name(context, question)] = language_scores(rows) | {"n": len(examples)}
    f1 = {name: values["f1"] for name, values in scores.items()}
    return {
        "pairs": scores,
        "mean_f1": statistics.fmean(f1.values()) if f1 else None,
        "by_question": _means(pairs, f1, lambda c, q: q),
        "by_context": _means(pairs, f1, lambda c, q: c),
        "same_language_mean_f1": statistics.fmean(same_language.values()),
    }


def _means(pairs: Sequence[tuple[str, str]], f1: dict[str, float], key: Any) -> dict[str, float]:
    groups: dict[str, list[float]] = {}
    for context, question in pairs:
        groups.setdefault(key(context, question), []).append(f1[pair_name(context, question)])
    return {lang: statistics.fmean(values) for lang, values in sorted(groups.items())}
