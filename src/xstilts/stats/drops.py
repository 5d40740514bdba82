"""Robustness drops: clean accuracy minus accuracy under a variant, and drops compared.

A drop pairs each perturbed (or attacked) row with the clean row of the same (seed, language,
example_id) for the same model, so it measures what the perturbation costs on those very
examples. A variant may cover a subset of the clean rows (e.g. an attack run on a sample); the
clean accuracy in its row is then taken over that subset. Comparing drops between conditions is a
difference in differences, bootstrapped on the per-row vectors (clean - perturbed) of the two
conditions, which pair on the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from xstilts.stats.compare import choose_pairs, finish
from xstilts.stats.frame import pivot, require_same_rows, validate
from xstilts.stats.summary import by_language, cell_seed, paired_summary

DROP_COLUMNS = (
    "condition", "task", "variant", "language", "n_examples", "n_seeds", "n_rows",
    "clean_acc", "clean_acc_std", "variant_acc", "variant_acc_std", "drop", "ci_low",
    "ci_high", "b01", "b10", "statistic", "p_value", "test", "p_holm", "significant",
)  # fmt: skip
DROP_COMPARE_COLUMNS = (
    "comparison", "condition_a", "condition_b", "task", "variant", "language",
    "n_examples", "n_seeds", "n_rows", "drop_a", "drop_a_std", "drop_b", "drop_b_std",
    "diff", "ci_low", "ci_high", "null_se", "statistic", "p_value", "test", "p_holm",
    "significant",
)  # fmt: skip


def robustness_drops(
    frame: pd.DataFrame,
    clean: str = "clean",
    n_resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
    alpha: float = 0.05,
    pooled: str = "all",
) -> pd.DataFrame:
    """One row per (condition, task, variant != clean, language): drop = clean_acc - variant_acc.

    Accuracies are over the variant's rows with seeds pooled, so drop == clean_acc - variant_acc
    even when seeds cover different rows (std: over seeds of per-seed accuracy, ddof=1, NaN for
    one seed); rows per language and pooled over the languages present (`language == pooled`,
    also when there is one); ci_low/ci_high bootstrap the drop (example ids with all their seeds,
    within languages); b01 = rows wrong clean but right perturbed, b10 = right clean, wrong
    perturbed; p_value tests drop = 0 (McNemar, generalised to seeds); p_holm is Holm within the
    per-language rows and within the pooled rows of this table (`finish`). A variant row
    without its clean row raises `XstiltsError`.
    """
    table = validate(frame)
    rows = []
    for (condition, task), group in table.groupby(["condition", "task"], sort=True):
        wide = pivot(group, ["variant"])
        for variant in [v for v in wide.columns if v != clean]:
            labels = (condition, task, variant, clean)
            rows += _drop_rows(wide, labels, n_resamples, seed, confidence, pooled)
    return finish(pd.DataFrame(rows), DROP_COLUMNS, alpha, pooled)


def compare_drops(
    frame: pd.DataFrame,
    pairs: Sequence[tuple[str, str]] | None = None,
    clean: str = "clean",
    n_resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
    alpha: float = 0.05,
    pooled: str = "all",
    per_language: bool = True,
) -> pd.DataFrame:
    """Difference in differences: drop of condition a minus drop of condition b, per variant.

    diff < 0 means a loses less accuracy than b under that variant (a is more robust). The per-row
    vectors u = clean_a - variant_a and v = clean_b - variant_b pair on (seed, language,
    example_id); both conditions must cover the same variant rows, each with its clean row, else
    `XstiltsError`. drop_a = mean(u), drop_b = mean(v) over all those rows (seeds pooled; std over
    seeds of per-seed drops), so diff == drop_a - drop_b even when the rows differ by seed. Rows
    per language and pooled over the languages present (`language == pooled`, also when there is
    one). ci_low/ci_high: percentile bootstrap of mean(u) - mean(v) (example ids with all their
    seeds, within languages); p_value: exact-or-normal sign-flip test on per-example
    sums of u - v, null_se its standard error of diff under the null (`xstilts.stats.power`);
    p_holm: Holm within the per-language and within the pooled rows of this table (`finish`).
    `pairs` as in `compare`. `per_language=False` leaves the per-language rows out (the pooled
    rows are the same either way: each row has its own bootstrap seed and Holm family).
    """
    table = validate(frame)
    chosen = choose_pairs(table, pairs)
    rows = []
    for (task, variant), group in _variant_groups(table, clean):
        wide = pivot(group, ["condition", "variant"])
        for cond_a, cond_b in chosen:
            rows += _did_rows(
                wide,
                (cond_a, cond_b, task, variant, clean),
                n_resamples,
                seed,
                confidence,
                pooled,
                per_language,
            )
    return finish(pd.DataFrame(rows), DROP_COMPARE_COLUMNS, alpha, pooled)


def _drop_rows(
    wide: pd.DataFrame,
    labels: tuple[str, str, str, str],
    n_resamples: int,
    seed: int,
    confidence: float,
    pooled: str,
) -> list[dict[str, object]]:
    condition, task, variant, clean = labels
    where = f"condition {condition!r}, task {task!r}, {variant!r} vs {clean!r}"
    present = require_same_rows(wide, variant, clean, where, subset=True)
    part = wide.loc[present.to_numpy()]
    out = []
    for language, mask in by_language(part.index, pooled):
        cell = part.loc[mask]
        clean_vec = cell[clean].to_numpy(np.float64)
        variant_vec = cell[variant].to_numpy(np.float64)
        key = cell_seed(seed, "drop", condition, task, variant, language)
        stats = paired_summary(cell.index, clean_vec, variant_vec, n_resamples, key, confidence)
        out.append(_drop_row(stats, condition, task, variant, language))
    return out


def _variant_groups(table: pd.DataFrame, clean: str) -> list[tuple[tuple[str, str], pd.DataFrame]]:
    groups = []
    for task, by_task in table.groupby("task", sort=True):
        clean_rows = by_task[by_task["variant"] == clean]
        for variant in sorted(set(by_task["variant"].unique()) - {clean}):
            rows = pd.concat([clean_rows, by_task[by_task["variant"] == variant]])
            groups.append(((task, variant), rows))
    return groups


def _did_rows(
    wide: pd.DataFrame,
    labels: tuple[str, str, str, str, str],
    n_resamples: int,
    seed: int,
    confidence: float,
    pooled: str,
    per_language: bool,
) -> list[dict[str, object]]:
    cond_a, cond_b, task, variant, clean = labels
    side_a, side_b = (cond_a, variant), (cond_b, variant)
    if side_a not in wide.columns and side_b not in wide.columns:
        return []
    where = f"task {task!r}, variant {variant!r}"
    present = require_same_rows(wide, side_a, side_b, f"{where}, {cond_a!r} vs {cond_b!r}")
    for cond in (cond_a, cond_b):
        require_same_rows(
            wide, (cond, variant), (cond, clean), f"{where}, {cond!r} vs clean", subset=True
        )
    part = wide.loc[present.to_numpy()]
    out = []
    for language, mask in by_language(part.index, pooled, per_language):
        cell = part.loc[mask]
        u = (cell[(cond_a, clean)] - cell[side_a]).to_numpy(np.float64)
        v = (cell[(cond_b, clean)] - cell[side_b]).to_numpy(np.float64)
        key = cell_seed(seed, "did", cond_a, cond_b, task, variant, language)
        stats = paired_summary(cell.index, u, v, n_resamples, key, confidence)
        out.append(_did_row(stats, cond_a, cond_b, task, variant, language))
    return out


def _drop_row(
    stats: dict[str, object], condition: str, task: str, variant: str, language: str
) -> dict[str, object]:
    renamed = {
        "mean_a": "clean_acc",
        "std_a": "clean_acc_std",
        "mean_b": "variant_acc",
        "std_b": "variant_acc_std",
        "diff": "drop",
    }
    named = {renamed.get(k, k): v for k, v in stats.items()}
    return {"condition": condition, "task": task, "variant": variant, "language": language, **named}


def _did_row(
    stats: dict[str, object], cond_a: str, cond_b: str, task: str, variant: str, language: str
) -> dict[str, object]:
    renamed = {"mean_a": "drop_a", "std_a": "drop_a_std", "mean_b": "drop_b", "std_b": "drop_b_std"}
    named = {renamed.get(k, k): v for k, v in stats.items()}
    return {
        "comparison": f"{cond_a} vs {cond_b}",
        "condition_a": cond_a,
        "condition_b": cond_b,
        "task": task,
        "variant": variant,
        "language": language,
        **named,
    }
