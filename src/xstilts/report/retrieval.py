"""The report's retrieval section: Tatoeba and BUCC with each condition's encoder and no target
training, the base model's (`none`) first, and the robustness of the Tatoeba queries.

Tables are means over seeds. The paired comparisons are the targets' (`answer.drop_comparisons`)
on the retrieve stage's per-query rows: for each attack, then for each perturbation variant, the
multi-task condition's drop against each other condition's, pooled over the languages. As for
the targets, the attacks form one Holm family and the perturbation variants another, a query
counts under a variant only where the encoder sees the perturbation and the family applies to
its language, and a language where a compared condition's clean xx -> en accuracy is not
significantly above chance (one over the pairs; exact binomial test) is left out of the pool.
"""

from __future__ import annotations

import functools
import operator
import statistics
from pathlib import Path
from typing import Any

import pandas as pd

from xstilts import paths
from xstilts.config import Params
from xstilts.io import read_json, read_jsonl
from xstilts.report.answer import drop_comparisons
from xstilts.report.markdown import table
from xstilts.report.per_example import COLUMNS, listed_run
from xstilts.report.transfer import AtChance
from xstilts.stats import above_chance_p

Runs = dict[str, list[dict[str, Any]]]  # condition -> one metrics dict per seed
TATOEBA = "tatoeba"


def retrieval_runs(params: Params, root: Path) -> Runs:
    """The retrieve stage's metrics of every condition and seed params lists."""
    return {
        condition: [
            read_json(listed_run(root / paths.retrieve_metrics(condition, seed)))
            for seed in params.seeds
        ]
        for condition in params.conditions
    }


def retrieval_frame(params: Params, root: Path) -> pd.DataFrame:
    """One row per (condition, seed, query, variant) in the per-example table's columns."""
    rows = [
        (condition, r["task"], seed, r["lang"], r["variant"], r["id"], r["correct"])
        for condition in params.conditions
        for seed in params.seeds
        for r in read_jsonl(listed_run(root / paths.retrieve_rows(condition, seed)))
        if r.get("effective", True) and not r.get("not_applicable", False)
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["correct"] = frame["correct"].astype(int)
    return frame


def at_chance(runs: Runs, alpha: float) -> AtChance:
    """Per condition, the Tatoeba languages whose clean xx -> en accuracy (seed mean, pairs
    summed over seeds) is not significantly above one over the pairs."""
    found: AtChance = {}
    for condition, seeds in runs.items():
        tatoeba = seeds[0]["tatoeba"]
        langs = [
            lang
            for lang in tatoeba["to_english"]
            if above_chance_p(
                _seed_mean(seeds, "tatoeba", "to_english", lang),
                tatoeba["pairs"][lang] * len(seeds),
                tatoeba["chance"][lang],
            )
            > alpha
        ]
        if langs:
            found.setdefault(TATOEBA, {})[condition] = langs
    return found


def comparisons(
    params: Params, frame: pd.DataFrame, chance: AtChance
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The attacks' comparisons and the perturbation variants', each Holm-corrected alone."""
    changed = sorted(v for v in frame["variant"].unique() if v != "clean")
    attacks = [v for v in changed if v.startswith("attack:")]
    variants = [v for v in changed if not v.startswith("attack:")]
    return (
        drop_comparisons(frame, params, attacks, chance),
        drop_comparisons(frame, params, variants, chance),
    )


def tatoeba_table(runs: Runs) -> list[str]:
    """Top-1 accuracy, xx -> en / en -> xx, per language and the mean of both."""
    first = next(iter(runs.values()))[0]["tatoeba"]
    languages = list(first["to_english"])
    rows = []
    for condition, seeds in runs.items():
        cells = [
            f"{_pct(seeds, 'tatoeba', 'to_english', lang)} / "
            f"{_pct(seeds, 'tatoeba', 'from_english', lang)}"
            for lang in languages
        ]
        rows.append([condition, *cells, _pct(seeds, "tatoeba", "mean")])
    chance = ", ".join(f"{lang} {100 * c:.2f}" for lang, c in first["chance"].items())
    return [
        *table(["condition", *(f"{x}->en / en->{x}" for x in languages), "mean"], rows),
        "",
        f"Chance (one over the pairs): {chance} %. Sentences are mean-pooled at hidden state "
        f"{first['layer']}, as XTREME's Tatoeba script pools XLM-R.",
    ]


def bucc_table(runs: Runs) -> list[str]:
    """Test F1 at the threshold best on dev, per language."""
    languages = list(next(iter(runs.values()))[0]["bucc"]["f1"])
    rows = [
        [
            condition,
            *(_pct(seeds, "bucc", "f1", lang) for lang in languages),
            _pct(seeds, "bucc", "mean"),
        ]
        for condition, seeds in runs.items()
    ]
    return table(["condition", *languages, "mean"], rows)


def robustness_table(frame: pd.DataFrame) -> list[str]:
    """Each variant's xx -> en accuracy drop (pp, clean minus perturbed or attacked on the same
    queries), pooled over languages and seeds, per condition."""
    conditions = list(dict.fromkeys(frame["condition"]))
    clean = frame[frame["variant"] == "clean"].set_index(
        ["condition", "seed", "language", "example_id"]
    )
    rows = []
    for variant in sorted(v for v in frame["variant"].unique() if v != "clean"):
        changed = frame[frame["variant"] == variant]
        cells = []
        for condition in conditions:
            mine = changed[changed["condition"] == condition]
            keys = list(
                zip(
                    mine["condition"],
                    mine["seed"],
                    mine["language"],
                    mine["example_id"],
                    strict=True,
                )
            )
            if not keys:
                cells.append("-")
                continue
            before = clean.loc[keys, "correct"].mean()
            cells.append(f"{100 * (before - mine['correct'].mean()):.1f} (n={len(mine)})")
        rows.append([variant, *cells])
    return table(["variant", *conditions], rows)


def retrieval_section(
    params: Params, root: Path, comparison_lines: Any
) -> tuple[list[str], dict[str, Any]]:
    """The section's lines and its summary; `comparison_lines` renders the comparisons (the
    document's table)."""
    runs = retrieval_runs(params, root)
    lines = [
        "## Cross-lingual retrieval (encoders only, no target training)",
        "",
        "Each condition's intermediate encoder (the base model for `none`) retrieves, with no "
        "target training, as Phang et al. (2020) evaluate BUCC and Tatoeba.",
        "",
    ]
    summary: dict[str, Any] = {}
    if "tatoeba" in params.retrieval.tasks:
        frame = retrieval_frame(params, root)
        chance = at_chance(runs, params.robustness.alpha)
        attacks, variants = comparisons(params, frame, chance)
        lines += ["### Tatoeba: top-1 accuracy %", "", *tatoeba_table(runs), ""]
        lines += _chance_lines(chance)
        lines += [
            "### Tatoeba queries under perturbation and attack",
            "",
            "xx->en accuracy drop in pp (clean minus changed, on the same queries; effective "
            "perturbations only), pooled over languages and seeds; n = queries.",
            "",
            *robustness_table(frame),
            "",
            "Paired comparisons of the drops under attack (multi against each condition; Holm "
            "over this table):",
            "",
            *comparison_lines(attacks),
            "",
            "The same for each perturbation family (exploratory; Holm over this table):",
            "",
            *comparison_lines(variants),
            "",
        ]
        summary["tatoeba_mean"] = {
            c: _seed_mean(seeds, "tatoeba", "mean") for c, seeds in runs.items()
        }
        # significant comparisons, either direction
        summary["tatoeba_attacks_significant"] = _significant(attacks)
        summary["tatoeba_families_significant"] = _significant(variants)
        summary["uninformative"] = chance
    if "bucc" in params.retrieval.tasks:
        lines += ["### BUCC: test F1 % (threshold chosen on dev)", "", *bucc_table(runs), ""]
        summary["bucc_mean_f1"] = {
            c: _seed_mean(seeds, "bucc", "mean") for c, seeds in runs.items()
        }
    return lines, summary


def _seed_mean(seeds: list[dict[str, Any]], *keys: str) -> float:
    """The mean over seeds of the value at `keys` in each seed's metrics."""
    return statistics.fmean(functools.reduce(operator.getitem, keys, s) for s in seeds)


def _pct(seeds: list[dict[str, Any]], *keys: str) -> str:
    return f"{100 * _seed_mean(seeds, *keys):.1f}"


def _significant(compared: pd.DataFrame) -> int:
    return int(compared["significant"].sum()) if not compared.empty else 0


def _chance_lines(chance: AtChance) -> list[str]:
    """Which conditions' languages are at chance, left out of the comparisons."""
    found = chance.get(TATOEBA, {})
    if not found:
        return ["Every condition's xx->en accuracy is above chance in every language.", ""]
    named = "; ".join(f"{c}: {', '.join(langs)}" for c, langs in found.items())
    return [f"Not above chance (left out of the comparisons of that condition): {named}.", ""]
