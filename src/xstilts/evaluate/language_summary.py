"""Per-language summaries with the zero-shot mean (every language but English), shared by the
perturbation and attack metrics.

A per-language value that is undefined (a rate or mean over no rows, e.g. the drop on effective
examples in a language where no perturbation was effective) is None, written as JSON null, never
0.0: zero would read as a measured "no drop". The zero-shot mean of a key is over the languages
where it is defined, None when it is defined in none, and `n_zero_shot` records how many
languages went into each mean.

A language whose rows are all flagged `not_applicable` (the perturbation or attack has nothing to
work with there, e.g. code-switching without a bilingual dictionary) is not a measurement: its
values are None, it is left out of every zero-shot mean, and it is named in `not_applicable`
(present only when some language is), so that no row is dropped without a trace.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

Rows = list[dict[str, Any]]


def mean(values: Sequence[float | bool]) -> float | None:
    """The mean, None (undefined) for no values."""
    return statistics.fmean(values) if values else None


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, None (undefined) when the denominator is 0."""
    return numerator / denominator if denominator else None


def difference(a: float | None, b: float | None) -> float | None:
    """a - b, None (undefined) when either is."""
    return None if a is None or b is None else a - b


def per_language(
    rows: Rows, summarize: Callable[[Rows], dict[str, Any]], zero_shot_keys: Sequence[str]
) -> dict[str, Any]:
    """`summarize` of each language's rows; the mean of each of `zero_shot_keys` over the
    zero-shot languages where it is defined (None if none), and how many languages that is."""
    by_lang: dict[str, Rows] = {}
    for row in rows:
        by_lang.setdefault(row["lang"], []).append(row)
    skipped = sorted(lang for lang, lang_rows in by_lang.items() if not_applicable(lang_rows))
    languages = {
        lang: undefined(summarize(lang_rows)) if lang in skipped else summarize(lang_rows)
        for lang, lang_rows in by_lang.items()
    }
    defined = {
        key: [m[key] for lang, m in languages.items() if lang != "en" and m[key] is not None]
        for key in zero_shot_keys
    }
    summary = {
        "languages": languages,
        "mean_zero_shot": {key: mean(values) for key, values in defined.items()},
        "n_zero_shot": {key: len(values) for key, values in defined.items()},
    }
    return summary | ({"not_applicable": skipped} if skipped else {})


def not_applicable(rows: Rows) -> bool:
    """Whether every row of a language is flagged as one the perturbation does not apply to."""
    return bool(rows) and all(row.get("not_applicable", False) for row in rows)


def undefined(summary: dict[str, Any]) -> dict[str, Any]:
    """A language summary with every value None (nested dicts keep their keys), but its `n`."""
    blank = {
        key: undefined(value) if isinstance(value, dict) else None for key, value in summary.items()
    }
    return blank | ({"n": summary["n"]} if "n" in summary else {})
