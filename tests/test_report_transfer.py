"""Transfer above chance: the exact binomial test, the cells it marks uninformative for
robustness, their exclusion from the pooled comparisons, and the section's place in the report."""

from __future__ import annotations

import pytest

from xstilts.config import Params
from xstilts.report.answer import drop_comparisons, sentence
from xstilts.report.document import comparison_table, report_lines
from xstilts.report.robustness import language_table
from xstilts.report.transfer import at_chance, transfer_cells, transfer_ratio, transfer_section
from xstilts.stats import binomial_upper_tail

from .test_report_robustness import RUNS, _frame


def test_one_sided_binomial_matches_known_values() -> None:
    assert binomial_upper_tail(60, 100, 0.5) == pytest.approx(0.028444, abs=1e-6)
    assert binomial_upper_tail(50, 100, 0.5) == pytest.approx(0.539795, abs=1e-6)
    assert binomial_upper_tail(2, 2, 1 / 3) == pytest.approx(1 / 9, rel=1e-12)
    assert binomial_upper_tail(0, 10, 0.3) == 1.0
    assert 0.49 < binomial_upper_tail(5000, 15_000, 1 / 3) < 0.52  # large n stays finite


def metrics(accuracy: dict[str, float], n: int = 300) -> dict:
    """One seed's clean metrics, three classes."""
    return {
        "accuracy": accuracy,
        "chance": 1 / 3,
        "examples": dict.fromkeys(accuracy, n),
        "dev_en": accuracy["en"],
        "mean_zero_shot": None,
    }


CLEAN = {
    "xnli": {
        "none": [metrics({"en": 0.8, "ru": 0.6, "zh": 0.5})],
        "multi": [metrics({"en": 0.8, "ru": 0.35, "zh": 0.5})],  # ru at chance: 105/300
    }
}


def test_a_condition_at_chance_in_one_language_is_uninformative_there_only() -> None:
    cells = transfer_cells(CLEAN, alpha=0.05)
    assert at_chance(cells) == {"xnli": {"multi": ["ru"]}}
    ru = cells["xnli"]["multi"]["ru"]
    assert ru.p_value == pytest.approx(binomial_upper_tail(105, 300, 1 / 3))
    assert transfer_ratio(cells["xnli"]["none"], "ru") == pytest.approx(
        (0.6 - 1 / 3) / (0.8 - 1 / 3)
    )
    lines = transfer_section(cells, 0.05, seeds=1)
    row = next(line for line in lines if line.startswith("| multi |") and "(no)" in line)
    assert row == "| multi | +46.7 (yes) | +1.7 (no) | +16.7 (yes) |"


def test_several_seeds_use_the_seed_mean_and_the_summed_examples() -> None:
    runs = {"xnli": {"none": [metrics({"en": 0.8, "ru": 0.40}), metrics({"en": 0.8, "ru": 0.30})]}}
    cell = transfer_cells(runs, alpha=0.05)["xnli"]["none"]["ru"]
    assert (cell.score, cell.n) == (pytest.approx(0.35), 600)
    assert cell.p_value == pytest.approx(binomial_upper_tail(210, 600, 1 / 3))
    assert not cell.above
    text = " ".join(transfer_section(transfer_cells(runs, 0.05), 0.05, seeds=2))
    assert "summed over seeds" in text


def test_no_transfer_ratio_when_english_is_at_chance() -> None:
    runs = {"xnli": {"none": [metrics({"en": 0.34, "ru": 0.6})]}}
    assert transfer_ratio(transfer_cells(runs, 0.05)["xnli"]["none"], "ru") is None


def test_language_table_marks_the_at_chance_cells_and_says_why() -> None:
    lines = language_table("xnli", RUNS["xnli"], {}, {"multi": ["ru"]})
    ru = next(line for line in lines if line.startswith("| ru |")).split(" | ")
    assert ru[2:] == ["0.0", "0.0 (at chance) |"]  # none, then multi
    zh = next(line for line in lines if line.startswith("| zh |"))
    assert "(at chance)" not in zh
    assert any("not significantly above chance" in line for line in lines)
    assert not any("above chance" in line for line in language_table("xnli", RUNS["xnli"], {}))


def test_pooled_comparison_leaves_out_the_language_at_chance(tiny_params: Params) -> None:
    frame = _frame(tiny_params.condition_names)
    chance = {"pawsx": {"none": ["ru"]}}
    table = drop_comparisons(frame, tiny_params, ["typo@0.1"], chance)
    with_none = table[table["condition_b"] == "none"].iloc[0]
    assert (with_none["languages"], with_none["left_out"]) == ("vi", "ru")
    vi_only = drop_comparisons(frame[frame["language"] == "vi"], tiny_params, ["typo@0.1"])
    alone = vi_only[vi_only["condition_b"] == "none"].iloc[0]
    assert with_none["diff"] == pytest.approx(alone["diff"])  # the pool is vi alone
    others = table[table["condition_b"] != "none"]
    assert (others["languages"] == "ru, vi").all() and (others["left_out"] == "").all()
    baseline = drop_comparisons(frame, tiny_params, ["typo@0.1"])
    kept = baseline[baseline["condition_b"] != "none"]
    assert list(others["diff"]) == pytest.approx(list(kept["diff"]))
    assert "left out at chance: ru" in sentence(with_none, "typo attack")


def test_a_comparison_with_every_language_at_chance_is_named_not_tested(
    tiny_params: Params,
) -> None:
    frame = _frame(tiny_params.condition_names)
    chance = {"pawsx": {"multi": ["ru", "vi"]}}
    table = drop_comparisons(frame, tiny_params, ["typo@0.1"], chance)
    assert len(table) == len(tiny_params.condition_names) - 1  # every pair still reported
    assert not table["informative"].any() and not table["significant"].any()
    assert table["diff"].isna().all() and (table["left_out"] == "ru, vi").all()
    assert "uninformative" in sentence(table.iloc[0], "typo attack")
    assert "| uninformative |" in comparison_table(table)[2]


def test_transfer_section_precedes_the_answer(tiny_params: Params) -> None:
    transfer = transfer_section(transfer_cells(CLEAN, 0.05), 0.05, seeds=1)
    answer = ["## Answer to the research question", ""]
    lines = report_lines(tiny_params, transfer, answer, ["## Robustness", ""])
    assert lines.index("## Zero-shot transfer above chance") < lines.index(answer[0])
