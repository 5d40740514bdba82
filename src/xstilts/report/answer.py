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
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from xstilts.config import Params
from xstilts.stats import compare_drops, holm

POOLED = "all"


def primary_pairs(conditions: Sequence[str]) -> list[tuple[str, str]]:
    """multi against every other condition; without a multi condition, each against none."""
    if "multi" in conditions:
        return [("multi", c) for c in conditions if c != "multi"]
    return [(c, "none") for c in conditions if c != "none"]


def zero_shot(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["language"] != "en"]


def drop_comparisons(frame: pd.DataFrame, params: Params, variants: Sequence[str]) -> pd.DataFrame:
    """Pooled zero-shot difference-in-drop rows for `variants`, Holm-corrected among themselves.

    One row per (task, variant, pair) that has rows, pooled over the zero-shot languages where the
    variant has rows (one language or several: `languages` names them, `n_languages` counts them).
    """
    rows = zero_shot(frame)
    rows = rows[rows["variant"].isin(["clean", *variants])]
    if rows.empty or len(set(rows["variant"])) < 2:
        return pd.DataFrame()
    table = compare_drops(
        rows,
        primary_pairs(params.condition_names),
        n_resamples=params.robustness.bootstrap_resamples,
        seed=0,
        alpha=params.robustness.alpha,
        pooled=POOLED,
    )
    pooled = table[table["language"] == POOLED].copy()
    covered = (
        rows[rows["variant"] != "clean"]
        .groupby(["task", "variant"])["language"]
        .agg(lambda langs: sorted(set(langs)))
    )
    keys = list(zip(pooled["task"], pooled["variant"], strict=True))
    pooled["languages"] = [", ".join(covered[key]) for key in keys]
    pooled["n_languages"] = [len(covered[key]) for key in keys]
    pooled["p_holm"] = holm(pooled["p_value"].to_numpy())
    pooled["significant"] = pooled["p_holm"] <= params.robustness.alpha
    return pooled.reset_index(drop=True)


def sentence(row: pd.Series, what: str) -> str:
    """One plain-language line for one comparison row (drops in percentage points)."""
    a, b = row["condition_a"], row["condition_b"]
    diff, low, high = 100 * row["diff"], 100 * row["ci_low"], 100 * row["ci_high"]
    numbers = (
        f"drop {100 * row['drop_a']:.1f} vs {100 * row['drop_b']:.1f} pp; difference "
        f"{diff:+.1f} pp, 95% CI [{low:+.1f}, {high:+.1f}], Holm p = {row['p_holm']:.3g}"
    )
    if not row["significant"]:
        claim = f"no significant difference** between {a} and {b}"
        return f"- {row['task']}, {what}: **{claim} ({numbers})."
    verdict = "more robust than" if diff < 0 else "less robust than"
    return f"- {row['task']}, {what}: **{a} is {verdict} {b}** ({numbers})."


def verdict(table: pd.DataFrame) -> str:
    if table.empty:
        return "No attack results to compare."
    wins = int(((table["diff"] < 0) & table["significant"]).sum())
    losses = int(((table["diff"] > 0) & table["significant"]).sum())
    total = len(table)
    a = table["condition_a"].iloc[0]
    if wins == losses == 0:
        return (
            f"**Answer of this run: no significant robustness difference.** None of the {total} "
            f"primary comparisons of {a} against the other conditions is significant after Holm "
            "correction."
        )
    return (
        f"**Answer of this run:** {a} is significantly more robust in {wins} and significantly "
        f"less robust in {losses} of {total} primary comparisons (Holm-corrected); the other "
        f"{total - wins - losses} show no significant difference."
    )
