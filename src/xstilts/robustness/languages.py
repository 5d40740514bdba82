"""Per-language summaries with the zero-shot mean (every language but English), shared by the
perturbation and attack metrics."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

Rows = list[dict[str, Any]]


def mean(values: Sequence[float | bool]) -> float:
    """The mean, 0.0 for no values."""
    return statistics.fmean(values) if values else 0.0


def per_language(
    rows: Rows, summarize: Callable[[Rows], dict[str, Any]], zero_shot_keys: Sequence[str]
) -> dict[str, Any]:
    """`summarize` of each language's rows, and the mean of `zero_shot_keys` over the
    zero-shot languages."""
    by_lang: dict[str, Rows] = {}
    for row in rows:
        by_lang.setdefault(row["lang"], []).append(row)
    languages = {lang: summarize(lang_rows) for lang, lang_rows in by_lang.items()}
    zero_shot = [m for lang, m in languages.items() if lang != "en"]
    return {
        "languages": languages,
        "mean_zero_shot": {key: mean([m[key] for m in zero_shot]) for key in zero_shot_keys},
    }
