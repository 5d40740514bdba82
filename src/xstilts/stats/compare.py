"""Condition-vs-condition comparison table: is multi-task intermediate training more accurate?"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from xstilts.errors import XstiltsError
from xstilts.stats.correction import holm
from xstilts.stats.frame import pivot, require_same_rows, validate
from xstilts.stats.summary import by_language, cell_seed, paired_summary

DEFAULT_PAIRS: tuple[tuple[str, str], ...] = (
    ("multi", "qqp"),
    ("multi", "mnli"),
    ("multi", "race"),
    ("multi", "none"),
    ("qqp", "none"),
    ("mnli", "none"),
    ("race", "none"),
)
COMPARE_COLUMNS = (
    "comparison", "condition_a", "condition_b", "task", "variant", "language",
    "n_examples", "n_seeds", "n_rows", "acc_a", "acc_a_std", "acc_b", "acc_b_std",
    "diff", "ci_low", "ci_high", "b01", "b10", "statistic", "p_value", "test",
    "p_holm", "significant",
)  # fmt: skip


def compare(
    frame: pd.DataFrame,
    pairs: Sequence[tuple[str, str]] | None = None,
    n_resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
    alpha: float = 0.05,
    pooled: str = "all",
) -> pd.DataFrame:
    """One row per (pair, task, variant, language) comparing accuracy of condition a with b.

    `frame` is the tidy table [condition, task, seed, language, variant, example_id, correct].
    Sides pair on (seed, language, example_id) within a task and variant and must cover the same
    rows, else `XstiltsError`. `pairs` defaults to `DEFAULT_PAIRS` restricted to the conditions
    present; a named pair with a condition absent from `frame` is an error. Rows per language and
    pooled over the languages present (`language == pooled`, bootstrap stratified by language;
    present also when there is one language, then with that language's estimates and test).

    Columns: acc_a/acc_b (accuracy over all paired rows, seeds pooled) with the std over seeds of
    per-seed accuracy (ddof=1, NaN for one seed); diff = acc_a - acc_b; ci_low/ci_high its
    percentile bootstrap interval (example ids resampled with all their seeds, within languages);
    b01/b10 discordant rows (a wrong, b right / a right, b wrong) summed over seeds; p_value from
    McNemar's test generalised to seeds (`sign_flip_test` on per-example sums; plain McNemar for
    one seed), `test` its method; p_holm Holm-adjusted within one of two families of the returned
    table (`finish`): the per-language rows, and the pooled rows; significant = p_holm <= alpha.
    """
    table = validate(frame)
    chosen = choose_pairs(table, pairs)
    rows = []
    for (task, variant), group in table.groupby(["task", "variant"], sort=True):
        wide = pivot(group, ["condition"])
        for cond_a, cond_b in chosen:
            rows += _pair_rows(
                wide, cond_a, cond_b, task, variant, n_resamples, seed, confidence, pooled
            )
    return finish(pd.DataFrame(rows), COMPARE_COLUMNS, alpha, pooled)


def finish(result: pd.DataFrame, columns: Sequence[str], alpha: float, pooled: str) -> pd.DataFrame:
    """Add p_holm and `significant`; order columns; an empty table keeps them.

    Holm runs within two families: the per-language rows, and the rows pooled over languages
    (`language == pooled`). A pooled row tests the same examples again, averaged (with one
    language present it repeats that language's test outright), so one family holding both
    would count the same evidence twice and correct for hypotheses that are not separate ones.
    A reader picks one level: the pooled family answers "across languages", the per-language
    family "in which languages".
    """
    if result.empty:
        return pd.DataFrame(columns=list(columns))
    p_holm = np.full(len(result), np.nan)
    for family in (result["language"] == pooled, result["language"] != pooled):
        mask = family.to_numpy()
        p_holm[mask] = holm(result.loc[mask, "p_value"].to_numpy(dtype=float))
    result["p_holm"] = p_holm
    result["significant"] = result["p_holm"] <= alpha
    return result.loc[:, list(columns)].reset_index(drop=True)


def choose_pairs(
    table: pd.DataFrame, pairs: Sequence[tuple[str, str]] | None
) -> list[tuple[str, str]]:
    """`pairs`, checked against the conditions present, or the default pairs among them."""
    present = set(table["condition"].unique().tolist())
    if pairs is None:
        return [p for p in DEFAULT_PAIRS if p[0] in present and p[1] in present]
    unknown = sorted({c for p in pairs for c in p} - present)
    if unknown:
        raise XstiltsError(
            f"comparison pairs name conditions {unknown} that have no rows; "
            f"conditions present: {sorted(present)}"
        )
    return [tuple(p) for p in pairs]


def _pair_rows(
    wide: pd.DataFrame,
    cond_a: str,
    cond_b: str,
    task: str,
    variant: str,
    n_resamples: int,
    seed: int,
    confidence: float,
    pooled: str,
) -> list[dict[str, object]]:
    if cond_a not in wide.columns and cond_b not in wide.columns:
        return []
    where = f"task {task!r}, variant {variant!r}, {cond_a!r} vs {cond_b!r}"
    rows = wide.loc[require_same_rows(wide, cond_a, cond_b, where).to_numpy()]
    out = []
    for language, mask in by_language(rows.index, pooled):
        part = rows.loc[mask]
        a, b = part[cond_a].to_numpy(np.float64), part[cond_b].to_numpy(np.float64)
        cell = cell_seed(seed, "compare", cond_a, cond_b, task, variant, language)
        stats = paired_summary(part.index, a, b, n_resamples, cell, confidence)
        out.append(_named(stats, cond_a, cond_b, task, variant, language))
    return out


def _named(
    stats: dict[str, object], cond_a: str, cond_b: str, task: str, variant: str, language: str
) -> dict[str, object]:
    return {
        "comparison": f"{cond_a} vs {cond_b}",
        "condition_a": cond_a,
        "condition_b": cond_b,
        "task": task,
        "variant": variant,
        "language": language,
        "acc_a": stats["mean_a"],
        "acc_a_std": stats["std_a"],
        "acc_b": stats["mean_b"],
        "acc_b_std": stats["std_b"],
        **{k: v for k, v in stats.items() if not k.startswith(("mean_", "std_"))},
    }
