"""The statistical answer to the research question, in numbers and in words.

Primary family of hypotheses (Holm-corrected together): for each target task and attack, pooled
over the zero-shot languages, is the multi-task condition's accuracy drop under attack different
from that of each other condition? The drop is clean minus attacked accuracy on the same
examples; the comparison is a paired difference in differences (bootstrap CI over examples with
all their seeds, stratified by language; sign-flip/McNemar test). Per-family perturbation
comparisons form a second, exploratory family with its own correction; each is pooled over the
zero-shot languages where the family changed some input the tokenizer sees, which can be a single
language (diacritics, for instance), and every such comparison is in the family. The drops shown
next to a difference are over the same pooled rows, so the difference is their difference.
Languages where either compared condition's clean accuracy is not significantly above chance are
left out of the pool (see `xstilts.report.transfer`) and named in the comparison.

The report calls these functions on the classification targets for the primary and exploratory
families, and separately on the tagging targets, whose rows are sentence exact match, for a
family of their own (`xstilts.report.tagging`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from xstilts.config import Params
from xstilts.report.transfer import AtChance
from xstilts.stats import DROP_COMPARE_COLUMNS, compare_drops, holm
from xstilts.stats.power import detectable_difference

POOLED = "all"


def primary_pairs(conditions: Sequence[str]) -> list[tuple[str, str]]:
    """multi against every other condition (the RS-DA ones included: the robust-training
    baseline `none+rsda`, and `multi+rsda`); without a multi condition, each against none."""
    if "multi" in conditions:
        return [("multi", c) for c in conditions if c != "multi"]
    return [(c, "none") for c in conditions if c != "none"]


def zero_shot(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["language"] != "en"]


def drop_comparisons(
    frame: pd.DataFrame,
    params: Params,
    variants: Sequence[str],
    at_chance: AtChance | None = None,
) -> pd.DataFrame:
    """Pooled zero-shot difference-in-drop rows for `variants`, Holm-corrected among themselves.

    One row per (task, variant, pair) that has rows, pooled over the zero-shot languages where the
    variant has rows (one language or several: `languages` names them, `n_languages` counts them),
    less those where either condition of the pair is at chance (`at_chance`: task -> condition ->
    languages): a model at chance has no accuracy to lose, so its drop there is noise. `left_out`
    names those languages; a row with every language left out stays in the table, uninformative
    (`informative` False, NaN numbers, not in the Holm family), so no comparison goes unreported.
    `detectable` is the smallest difference in drop the comparison's test would find with
    probability `robustness.power` at the unadjusted `alpha`, `detectable_holm` at alpha / m, the
    threshold of Holm's first step over the m tested rows (`xstilts.stats.power`).
    """
    rows = zero_shot(frame)
    rows = rows[rows["variant"].isin(["clean", *variants])]
    if rows.empty or rows["variant"].nunique() < 2:
        return pd.DataFrame()
    pairs = primary_pairs(params.all_condition_names)
    parts = [
        _pair_comparisons(rows, params, pair, at_chance or {}).assign(_pair=i)
        for i, pair in enumerate(pairs)
    ]
    parts = [part for part in parts if not part.empty]  # pairs with no task in common
    if not parts:
        return pd.DataFrame()
    pooled = pd.concat(parts, ignore_index=True).sort_values(
        ["task", "variant", "_pair"], kind="stable"
    )
    pooled = pooled.drop(columns="_pair").reset_index(drop=True)
    pooled["p_holm"] = holm(pooled["p_value"].to_numpy(dtype=float))
    pooled["significant"] = pooled["p_holm"] <= params.robustness.alpha
    return with_detectable(pooled, params.robustness.alpha, params.robustness.power)


def with_detectable(rows: pd.DataFrame, alpha: float, power: float) -> pd.DataFrame:
    """`rows` with `detectable` (at alpha) and `detectable_holm` (at alpha / m, m the rows with a
    p-value: Holm's first step) from each row's `null_se`."""
    tested = max(int(rows["p_value"].notna().sum()), 1)
    se = rows["null_se"].to_numpy(dtype=float)
    return rows.assign(
        detectable=[detectable_difference(s, alpha, power) for s in se],
        detectable_holm=[detectable_difference(s, alpha / tested, power) for s in se],
        power=power,
    )


def _pair_comparisons(
    rows: pd.DataFrame, params: Params, pair: tuple[str, str], at_chance: AtChance
) -> pd.DataFrame:
    """The pooled rows of one pair, over the languages where neither condition is at chance,
    in the tasks both conditions were trained for (an RS-DA condition trains only some)."""
    rows = rows[rows["condition"].isin(pair)]
    both = rows.groupby("task")["condition"].nunique()
    rows = rows[rows["task"].isin(both[both == len(pair)].index)]
    if rows.empty:
        return pd.DataFrame()
    excluded = {
        (task, lang)
        for task, by_condition in at_chance.items()
        for condition in pair
        for lang in by_condition.get(condition, [])
    }
    left_out = np.zeros(len(rows), dtype=bool)
    for task, lang in excluded:
        left_out |= ((rows["task"] == task) & (rows["language"] == lang)).to_numpy()
    kept = rows[~left_out]
    found = _pooled_rows(kept, params, pair)
    out = []
    for (task, variant), langs in _covered(rows).items():
        used = [lang for lang in langs if (task, lang) not in excluded]
        row = found.get((task, variant)) or _uninformative_row(pair, task, variant)
        out.append(
            {
                **row,
                "languages": ", ".join(used),
                "n_languages": len(used),
                "left_out": ", ".join(lang for lang in langs if lang not in used),
                "informative": bool(used),
            }
        )
    return pd.DataFrame(out)


def _covered(rows: pd.DataFrame) -> pd.Series:
    """(task, variant) -> the sorted languages where the variant has rows."""
    variants = rows[rows["variant"] != "clean"]
    return variants.groupby(["task", "variant"])["language"].agg(lambda x: sorted(x.unique()))


def _pooled_rows(kept: pd.DataFrame, params: Params, pair: tuple[str, str]) -> dict:
    """(task, variant) -> the pooled difference-in-drop row of `pair` over `kept`."""
    if not (kept["variant"] != "clean").any():
        return {}
    table = compare_drops(
        kept,
        [pair],
        n_resamples=params.robustness.bootstrap_resamples,
        seed=0,
        alpha=params.robustness.alpha,
        pooled=POOLED,
        per_language=False,  # the answer reads the pooled rows alone
    )
    pooled = table[table["language"] == POOLED]
    return {(r["task"], r["variant"]): r for r in pooled.to_dict("records")}


def _uninformative_row(pair: tuple[str, str], task: str, variant: str) -> dict:
    """A comparison with every language left out: named, with no numbers and no test."""
    a, b = pair
    row: dict = dict.fromkeys(DROP_COMPARE_COLUMNS, math.nan)
    names = {"comparison": f"{a} vs {b}", "condition_a": a, "condition_b": b, "task": task}
    return {**row, **names, "variant": variant, "language": POOLED, "test": "none"}


def sentence(row: pd.Series, what: str) -> str:
    """One plain-language line for one comparison row (drops in percentage points)."""
    a, b = row["condition_a"], row["condition_b"]
    if not row.get("informative", True):
        return (
            f"- {row['task']}, {what}: **uninformative for {a} vs {b}**: one of them is at chance "
            f"in every zero-shot language ({row['left_out']}), so there is no drop to compare."
        )
    diff, low, high = 100 * row["diff"], 100 * row["ci_low"], 100 * row["ci_high"]
    left_out = f"; left out at chance: {row['left_out']}" if row.get("left_out") else ""
    numbers = (
        f"drop {100 * row['drop_a']:.1f} vs {100 * row['drop_b']:.1f} pp; difference "
        f"{diff:+.1f} pp, unadjusted 95% CI [{low:+.1f}, {high:+.1f}], p = {row['p_value']:.3g}, "
        f"Holm p = {row['p_holm']:.3g}; {detectable_words(row)}{left_out}"
    )
    if not row["significant"]:
        claim = f"no significant difference** between {a} and {b}"
        return f"- {row['task']}, {what}: **{claim} ({numbers})."
    verdict = "more robust than" if diff < 0 else "less robust than"
    return f"- {row['task']}, {what}: **{a} is {verdict} {b}** ({numbers})."


def detectable(row: pd.Series) -> tuple[float, float] | None:
    """A row's detectable differences (unadjusted, Holm's first step); None when unknown."""
    low, high = row.get("detectable", math.nan), row.get("detectable_holm", math.nan)
    return (low, high) if math.isfinite(low) and math.isfinite(high) else None


def detectable_words(row: pd.Series) -> str:
    """The smallest difference the comparison could detect, in words (percentage points)."""
    found = detectable(row)
    if found is None:
        return "detectable difference unknown (no example told the two apart)"
    low, high = found
    return (
        f"detectable at {100 * row['power']:.0f}% power: {100 * low:.1f} pp unadjusted, "
        f"{100 * high:.1f} pp Holm"
    )


def power_summary(table: pd.DataFrame) -> str:
    """What the comparisons could have seen: the range of their detectable differences."""
    if table.empty or "detectable" not in table:
        return ""
    low = table["detectable"].dropna()
    high = table["detectable_holm"].dropna()
    if low.empty:
        return ""
    power = 100 * float(table["power"].iloc[0])
    return (
        f"**What this run could detect:** at {power:.0f}% power, the smallest difference in drop "
        f"each comparison would find ranges from {100 * low.min():.1f} to {100 * low.max():.1f} "
        f"pp at the unadjusted level and from {100 * high.min():.1f} to {100 * high.max():.1f} "
        "pp at the threshold of Holm's first step; a true difference below a comparison's value "
        "would more often than not go unseen, so a comparison that is not significant rules out "
        "only differences above it. (Normal approximation of the sign-flip test, with each "
        "comparison's per-example discordance held at its observed level; more test examples, "
        "seeds or attacked examples lower these values.)"
    )


def verdict(table: pd.DataFrame) -> str:
    if table.empty:
        return "No attack results to compare."
    wins = int(((table["diff"] < 0) & table["significant"]).sum())
    losses = int(((table["diff"] > 0) & table["significant"]).sum())
    total = len(table)
    void = int((~table["informative"]).sum()) if "informative" in table else 0
    a = table["condition_a"].iloc[0]
    at_chance = (
        f" {void} of them are uninformative: a condition compared is at chance in every "
        "zero-shot language."
        if void
        else ""
    )
    if wins == losses == 0:
        return (
            f"**Answer of this run: no significant robustness difference.** None of the {total} "
            f"primary comparisons of {a} against the other conditions is significant after Holm "
            f"correction.{at_chance}"
        )
    return (
        f"**Answer of this run:** {a} is significantly more robust in {wins} and significantly "
        f"less robust in {losses} of {total} primary comparisons (Holm-corrected); the other "
        f"{total - wins - losses} show no significant difference.{at_chance}"
    )
