"""The smallest difference a comparison could detect: the sign-flip test finds a true difference
of that size about as often as the stated power, more seeds lower it, a run without discordant
examples has none, and the report states it beside each comparison."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from xstilts.config import Params
from xstilts.report.answer import drop_comparisons, power_summary, sentence
from xstilts.report.document import comparison_table
from xstilts.stats import sign_flip_test
from xstilts.stats.power import detectable_difference, null_se
from xstilts.stats.seeds import cluster_sums
from xstilts.stats.summary import paired_summary


def _paired(rng: np.random.Generator, n: int, shift: float, discordance: float) -> np.ndarray:
    """Per-example differences a - b in {-1, 0, 1}: P(+1) + P(-1) = discordance, mean = shift."""
    plus, minus = (discordance + shift) / 2, (discordance - shift) / 2
    return rng.choice([1, -1, 0], size=n, p=[plus, minus, 1 - plus - minus])


def test_the_test_finds_a_difference_of_the_detectable_size_with_the_stated_power() -> None:
    rng = np.random.default_rng(0)
    n, discordance, alpha, power = 600, 0.3, 0.05, 0.8
    # the expected discordance of the alternative, as the formula holds it
    se = math.sqrt(n * discordance) / n
    shift = detectable_difference(se, alpha, power)
    found = [
        sign_flip_test(_paired(rng, n, shift, discordance)).p_value <= alpha for _ in range(2000)
    ]
    assert abs(np.mean(found) - power) < 0.03
    # half the difference is found far less often: the value is a threshold, not a bound
    half = [
        sign_flip_test(_paired(rng, n, shift / 2, discordance)).p_value <= alpha
        for _ in range(2000)
    ]
    assert np.mean(half) < 0.4


def test_a_stricter_level_or_higher_power_needs_a_larger_difference() -> None:
    assert detectable_difference(0.02, 0.05 / 12, 0.8) > detectable_difference(0.02, 0.05, 0.8)
    assert detectable_difference(0.02, 0.05, 0.9) > detectable_difference(0.02, 0.05, 0.8)
    assert detectable_difference(0.02, 0.05, 0.8) == pytest.approx((1.959964 + 0.841621) * 0.02)


def test_more_seeds_of_the_same_examples_lower_the_detectable_difference() -> None:
    """Three seeds of 300 examples whose outcomes vary between seeds carry more information than
    one seed: the standard error of the pooled difference falls."""
    rng = np.random.default_rng(1)
    examples, seeds = 300, 3
    d = np.stack([_paired(rng, examples, 0.0, 0.3) for _ in range(seeds)])  # seed x example
    one = null_se(d[0], examples)
    three = null_se(cluster_sums(d.ravel(), np.tile(np.arange(examples), seeds)), d.size)
    assert three < one


def test_no_discordant_example_leaves_the_detectable_difference_undefined() -> None:
    assert null_se(np.zeros(50), 50) == 0.0
    assert math.isnan(detectable_difference(0.0, 0.05, 0.8))
    assert math.isnan(detectable_difference(math.nan, 0.05, 0.8))


def test_a_paired_summary_carries_the_tests_standard_error() -> None:
    index = pd.MultiIndex.from_arrays(
        [[0] * 4, ["ru"] * 4, ["a", "b", "c", "d"]], names=["seed", "language", "example_id"]
    )
    stats = paired_summary(index, np.array([1, 1, 0, 1]), np.array([0, 1, 1, 0]), 100, 0, 0.95)
    assert stats["null_se"] == pytest.approx(math.sqrt(3) / 4)


def _frame(conditions: list[str]) -> pd.DataFrame:
    """XNLI rows in two languages: clean right everywhere, the attack flips more of `none`."""
    rng = np.random.default_rng(0)
    rows = []
    for condition in conditions:
        flip = 0.2 if condition == "none" else 0.1
        for lang, i in [(lang, i) for lang in ("ru", "vi") for i in range(150)]:
            keys = (condition, "xnli", 0, lang)
            rows.append((*keys, "clean", f"e{i}", 1))
            rows.append((*keys, "attack:typo", f"e{i}", int(rng.random() >= flip)))
    columns = ["condition", "task", "seed", "language", "variant", "example_id", "correct"]
    return pd.DataFrame(rows, columns=columns)


def test_the_report_states_each_comparisons_detectable_difference(tiny_params: Params) -> None:
    table = drop_comparisons(_frame(tiny_params.condition_names), tiny_params, ["attack:typo"])
    assert (table["detectable"] > 0).all()
    assert (table["detectable_holm"] > table["detectable"]).all()  # alpha / m with m > 1
    assert (table["power"] == tiny_params.robustness.power).all()
    row = table.iloc[0]
    line = sentence(row, "typo attack")
    assert f"detectable at 80% power: {100 * row['detectable']:.1f} pp unadjusted" in line
    summary = power_summary(table)
    assert f"from {100 * table['detectable'].min():.1f} to" in summary
    header, _, body = comparison_table(table)[:3]
    assert "| detectable (pp) |" in header
    assert f"| {100 * row['detectable']:.1f} / {100 * row['detectable_holm']:.1f} |" in body
