"""The report's robustness section: undefined metrics, single-language comparisons, curve labels."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from xstilts.config import Params
from xstilts.evaluate.under_attack import summarize_attack
from xstilts.evaluate.under_perturbation import summarize_variant
from xstilts.report.answer import drop_comparisons, sentence
from xstilts.report.document import INTERVALS_VS_HOLM, budget_curve_note, comparison_table
from xstilts.report.plots import budget_rows, drop_rows, search_label, write_plots
from xstilts.report.robustness import attack_summary, family_table

from .test_robustness import attack, row


def perturbed(lang: str, effective: bool, pred: int = 0) -> dict:
    return row(pred=pred, clean_pred=1, effective=effective, lang=lang)


def attacked(lang: str, attacked: bool) -> dict:
    return attack(flipped=True, units=1, attacked=attacked, lang=lang)


def run_metrics() -> dict:
    """One seed's metrics: `diacritics@0.1` effective in ru only, `invisible@0.1` nowhere; the
    typo attack attacks nothing in zh."""
    return {
        "perturbations": {
            "diacritics@0.1": summarize_variant(
                [perturbed("ru", True), perturbed("zh", False, pred=1), perturbed("en", False)]
            ),
            "invisible@0.1": summarize_variant(
                [perturbed(lang, False, pred=1) for lang in ("ru", "zh", "en")]
            ),
        },
        "attacks": {
            "typo": summarize_attack(
                [attacked("ru", True), attacked("zh", False), attacked("en", True)], [0.1]
            )
        },
    }


RUNS = {"xnli": {"none": [run_metrics()], "multi": [run_metrics()]}}


def test_undefined_drops_show_as_missing_not_as_zero() -> None:
    lines = family_table("xnli", RUNS["xnli"])
    never = next(line for line in lines if line.startswith("| invisible@0.1 |"))
    assert never.split(" | ")[1:] == ["0.0", "0", "-", "- |"]  # rate 0, no language, no drop
    once = next(line for line in lines if line.startswith("| diacritics@0.1 |"))
    assert once.split(" | ")[1:] == ["50.0", "1", "100.0", "100.0 |"]  # ru alone, not 50.0
    summary = next(line for line in attack_summary("xnli", RUNS["xnli"]) if "| none |" in line)
    # ru only for success and queries; the never-effective family is left out of the mean drop
    assert summary.split(" | ")[1:] == ["50.0", "0.0", "100.0", "11.0", "100.0", "25.0 |"]


def test_plots_skip_undefined_drops(tmp_path: Path) -> None:
    rows = drop_rows(RUNS)
    assert {(r["condition"], r["language"]) for r in rows} == {("none", "ru"), ("multi", "ru")}
    assert all(r["drop_pp"] == 100.0 for r in rows)
    never = {"xnli": {c: [run_metrics()] for c in ("none", "multi")}}
    for seeds in never["xnli"].values():
        del seeds[0]["perturbations"]["diacritics@0.1"]
    assert drop_rows(never) == []
    paths = write_plots(never, tmp_path, {"typo": 1})
    assert all(p.stat().st_size > 0 for p in paths)


def test_budget_curve_is_labelled_exact_for_greedy_and_a_bound_for_beam(
    tiny_params: Params,
) -> None:
    assert search_label(1) == "greedy: exact"
    assert search_label(3) == "beam 3: upper bound"
    assert {r["search"] for r in budget_rows(RUNS, {"typo": 3})} == {"beam 3: upper bound"}
    widths = {n: a.beam_width for n, a in tiny_params.robustness.attacks.items()}
    assert widths == {"typo": 1, "codeswitch": 2}
    note = budget_curve_note(tiny_params)
    assert "greedy search (typo) the curve is exact" in note
    assert "beam search (codeswitch (beam width 2)) it is an upper bound" in note


def _frame(conditions: tuple[str, ...]) -> pd.DataFrame:
    """Clean and `typo@0.1` rows in vi and ru; `diacritics@0.1` effective in vi only, where multi
    loses much less than the others."""
    rng = np.random.default_rng(0)
    rows = []
    for condition, lang, i in itertools.product(conditions, ("vi", "ru"), range(40)):
        keys = (condition, "pawsx", 0, lang)
        rows.append((*keys, "clean", f"e{i}", 1))
        rows.append((*keys, "typo@0.1", f"e{i}", int(rng.random() < 0.5)))
        if lang == "vi":
            keep = 0.9 if condition == "multi" else 0.2
            rows.append((*keys, "diacritics@0.1", f"e{i}", int(rng.random() < keep)))
    columns = ["condition", "task", "seed", "language", "variant", "example_id", "correct"]
    return pd.DataFrame(rows, columns=columns)


def test_a_family_effective_in_one_language_is_compared(tiny_params: Params) -> None:
    conditions = tiny_params.condition_names
    table = drop_comparisons(_frame(conditions), tiny_params, ["diacritics@0.1", "typo@0.1"])
    pairs = len(conditions) - 1
    assert len(table) == 2 * pairs  # every pair for both families: the Holm family is complete
    single = table[table["variant"] == "diacritics@0.1"]
    assert len(single) == pairs
    assert (single["languages"] == "vi").all() and (single["n_languages"] == 1).all()
    assert (single["diff"] < 0).all() and single["significant"].all()
    both = table[table["variant"] == "typo@0.1"]
    assert (both["languages"] == "ru, vi").all() and (both["n_languages"] == 2).all()
    lines = comparison_table(table)
    assert sum("| diacritics@0.1 | vi |" in line for line in lines) == pairs


def test_an_unadjusted_interval_beside_a_holm_verdict_says_which_is_which() -> None:
    """An interval that excludes zero next to "not significant" after Holm: the sentence and the
    table name the interval unadjusted and show the plain p beside the Holm one."""
    comparison = {
        "task": "xnli", "variant": "codeswitch@0.1", "languages": 5, "left_out": "",
        "condition_a": "multi", "condition_b": "none", "drop_a": 0.10, "drop_b": 0.217,
        "diff": -0.117, "ci_low": -0.217, "ci_high": -0.017, "p_value": 0.02, "p_holm": 1.0,
        "significant": False, "informative": True,
    }  # fmt: skip
    line = sentence(pd.Series(comparison), "codeswitch attack")
    assert "no significant difference" in line
    assert "unadjusted 95% CI [-21.7, -1.7], p = 0.02, Holm p = 1" in line
    header, _, body = comparison_table(pd.DataFrame([comparison]))
    assert "| unadjusted 95% CI | detectable (pp) | p | Holm p | sig. (Holm) |" in header
    assert body.endswith("| [-21.7, -1.7] | - | 0.02 | 1 | no |")
    assert "unadjusted" in INTERVALS_VS_HOLM and "Holm-adjusted" in INTERVALS_VS_HOLM
