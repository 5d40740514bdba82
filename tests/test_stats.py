"""Behaviour of the robustness statistics: intervals, tests, correction and the tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from xstilts.errors import XstiltsError
from xstilts.stats import (
    compare,
    compare_drops,
    holm,
    mcnemar,
    paired_bootstrap,
    robustness_drops,
    sign_flip_test,
    summarize_seeds,
)

# Joint distribution of (a correct, b correct): P(1,1), P(1,0), P(0,1), P(0,0).
CELLS = np.array([[1, 1], [1, 0], [0, 1], [0, 0]])
PROBS = np.array([0.55, 0.15, 0.08, 0.22])
TRUE_DIFF = PROBS[1] - PROBS[2]


def _draw_pairs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    cells = CELLS[rng.choice(4, size=n, p=PROBS)]
    return cells[:, 0], cells[:, 1]


def test_bootstrap_covers_true_difference_at_nominal_rate() -> None:
    rng = np.random.default_rng(11)
    hits = 0
    for i in range(200):
        a, b = _draw_pairs(rng, 200)
        interval = paired_bootstrap(a, b, n_resamples=1000, seed=i)
        hits += interval.low <= TRUE_DIFF <= interval.high
    assert hits >= 180


def test_example_clustered_bootstrap_covers_when_seeds_share_hard_examples() -> None:
    # Each example keeps its (a, b) outcome across 4 seeds with probability 0.9: seed replicates
    # are far from independent, and the interval must still cover.
    rng = np.random.default_rng(12)
    hits = 0
    for i in range(200):
        base_a, base_b = _draw_pairs(rng, 150)
        a_rows, b_rows = [], []
        for _ in range(4):
            fresh_a, fresh_b = _draw_pairs(rng, 150)
            keep = rng.random(150) < 0.9
            a_rows.append(np.where(keep, base_a, fresh_a))
            b_rows.append(np.where(keep, base_b, fresh_b))
        examples = np.tile(np.arange(150), 4)
        interval = paired_bootstrap(
            np.concatenate(a_rows), np.concatenate(b_rows), 1000, seed=i, clusters=examples
        )
        hits += interval.low <= TRUE_DIFF <= interval.high
    assert hits >= 180


def test_identical_inputs_give_zero_difference_and_p_one() -> None:
    a = np.random.default_rng(0).integers(0, 2, 500)
    interval = paired_bootstrap(a, a.copy(), 2000, seed=0)
    assert (interval.estimate, interval.low, interval.high) == (0.0, 0.0, 0.0)
    result = mcnemar(a, a)
    assert (result.b01, result.b10, result.p_value, result.method) == (0, 0, 1.0, "none")
    assert sign_flip_test(a - a).p_value == 1.0


def test_strata_keep_each_stratum_size_fixed() -> None:
    a = np.r_[np.ones(50), np.zeros(50)]
    b = np.zeros(100)
    strata = np.r_[np.zeros(50), np.ones(50)]
    stratified = paired_bootstrap(a, b, 2000, seed=0, strata=strata)
    assert (stratified.low, stratified.high) == (0.5, 0.5)
    plain = paired_bootstrap(a, b, 2000, seed=0)
    assert plain.low < 0.45 and plain.high > 0.55


def test_bootstrap_is_deterministic_for_binary_and_float_inputs() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 2, 300), rng.integers(0, 2, 300)
    assert paired_bootstrap(a, b, 500, seed=5) == paired_bootstrap(a, b, 500, seed=5)
    x, y = rng.random(300), rng.random(300)
    first = paired_bootstrap(x, y, 500, seed=5)
    assert first == paired_bootstrap(x, y, 500, seed=5)
    assert first.low < x.mean() - y.mean() < first.high


def test_bootstrap_rejects_bad_inputs() -> None:
    with pytest.raises(XstiltsError, match="length"):
        paired_bootstrap(np.ones(3), np.ones(4), 10, seed=0)
    with pytest.raises(XstiltsError, match="strata"):
        paired_bootstrap(
            np.ones(4), np.ones(4), 10, seed=0, clusters=[0, 0, 1, 1], strata=[0, 1, 1, 1]
        )


def test_mcnemar_exact_matches_hand_computation() -> None:
    # b01 = 2, b10 = 8: p = 2 * (C(10,0) + C(10,1) + C(10,2)) / 2^10 = 112 / 1024.
    a = np.r_[np.zeros(2), np.ones(8), np.ones(5), np.zeros(5)]
    b = np.r_[np.ones(2), np.zeros(8), np.ones(5), np.zeros(5)]
    result = mcnemar(a, b)
    assert (result.b01, result.b10, result.method) == (2, 8, "exact")
    assert result.statistic == 2.0
    assert result.p_value == pytest.approx(112 / 1024, rel=1e-12)


def test_mcnemar_chi_square_matches_hand_computation() -> None:
    # b01 = 10, b10 = 30: chi2 = (|10 - 30| - 1)^2 / 40 = 9.025; P(chi2_1 > 9.025) = 0.0026635.
    a = np.r_[np.zeros(10), np.ones(30)]
    b = 1 - a
    result = mcnemar(a, b)
    assert result.method == "chi2"
    assert result.statistic == pytest.approx(9.025)
    assert result.p_value == pytest.approx(0.0026635, abs=5e-7)


def test_mcnemar_switches_to_chi_square_at_25_and_stays_finite() -> None:
    ones = np.ones(24)
    assert mcnemar(ones, np.zeros(24)).method == "exact"
    assert mcnemar(ones, np.zeros(24)).p_value == pytest.approx(2 * 0.5**24, rel=1e-12)
    assert mcnemar(np.ones(25), np.zeros(25)).method == "chi2"
    huge = mcnemar(np.ones(100_000), np.zeros(100_000))
    assert 0.0 <= huge.p_value < 1e-300
    with pytest.raises(XstiltsError, match="0/1"):
        mcnemar(np.array([0.5, 1.0]), np.array([0.0, 1.0]))


@pytest.mark.parametrize("n", [7, 20, 24, 40, 300])
def test_sign_flip_test_equals_mcnemar_on_binary_differences(n: int) -> None:
    rng = np.random.default_rng(n)
    a, b = rng.integers(0, 2, n), rng.integers(0, 2, n)
    expected, got = mcnemar(a, b), sign_flip_test(a - b)
    assert got.p_value == pytest.approx(expected.p_value, rel=1e-9)


def test_sign_flip_exact_matches_enumeration() -> None:
    # +-2 +-1 +-1 takes 4, 2, 2, 0, 0, -2, -2, -4: P(|T| >= |2|) = 6 / 8.
    result = sign_flip_test(np.array([2, -1, 1, 0]))
    assert (result.statistic, result.n_nonzero, result.method) == (2.0, 3, "exact")
    assert result.p_value == 0.75


def test_holm_matches_textbook_example() -> None:
    adjusted = holm(np.array([0.01, 0.04, 0.03, 0.005]))
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm(np.array([0.5, 0.6])), [1.0, 1.0])
    with_nan = holm(np.array([0.02, np.nan, 0.01]))
    assert math.isnan(with_nan[1])
    np.testing.assert_allclose(with_nan[[0, 2]], [0.02, 0.02])


def test_seed_summary_reports_nan_spread_for_one_seed() -> None:
    one = summarize_seeds(np.array([0.7]))
    assert (one.mean, one.n) == (0.7, 1) and math.isnan(one.std)
    three = summarize_seeds(np.array([0.7, 0.8, 0.9]))
    assert three.mean == pytest.approx(0.8) and three.std == pytest.approx(0.1)


def _world(accuracy: dict[str, float], drop: dict[str, float], n: int = 200) -> pd.DataFrame:
    """Correctness of each condition, 2 seeds x 2 languages, clean and one perturbation."""
    rng = np.random.default_rng(7)
    parts = []
    cells = [
        (s, lang, v) for s in (1, 2) for lang in ("de", "sw") for v in ("clean", "keyboard@0.1")
    ]
    for condition, acc in accuracy.items():
        for seed, language, variant in cells:
            loss = drop[condition] if variant != "clean" else 0.0
            keys = {"condition": condition, "task": "xnli", "seed": seed, "language": language}
            ids = [f"ex{i}" for i in range(n)]
            correct = (rng.random(n) < acc - loss).astype(int)
            parts.append(
                pd.DataFrame({**keys, "variant": variant, "example_id": ids, "correct": correct})
            )
    return pd.concat(parts, ignore_index=True)


PLANTED = _world({"multi": 0.85, "qqp": 0.6, "none": 0.6}, {"multi": 0.05, "qqp": 0.3, "none": 0.3})


def test_compare_flags_planted_effect_and_not_null_effect() -> None:
    table = compare(PLANTED, n_resamples=1000, seed=0)
    assert set(table["comparison"]) == {"multi vs qqp", "multi vs none", "qqp vs none"}
    assert set(table["language"]) == {"all", "de", "sw"}
    clean = table[table["variant"] == "clean"].set_index(["comparison", "language"])
    assert clean.loc[("multi vs none", "all"), "significant"]
    assert clean.loc[("multi vs none", "all"), "ci_low"] > 0.15
    assert not clean.loc[("qqp vs none", "all"), "significant"]
    assert (
        clean.loc[("qqp vs none", "all"), "ci_low"]
        < 0
        < clean.loc[("qqp vs none", "all"), "ci_high"]
    )
    row = clean.loc[("multi vs none", "de")]
    assert (row["n_examples"], row["n_seeds"], row["n_rows"]) == (200, 2, 400)
    assert row["diff"] == pytest.approx(row["acc_a"] - row["acc_b"])
    # two Holm families: the pooled rows, and the per-language rows
    for family in (table["language"] == "all", table["language"] != "all"):
        part = table[family]
        np.testing.assert_allclose(part["p_holm"], holm(part["p_value"].to_numpy()))


def test_compare_on_identical_conditions_gives_zero_and_p_one() -> None:
    twin = PLANTED[PLANTED["condition"] == "none"].assign(condition="mnli")
    frame = pd.concat([PLANTED, twin], ignore_index=True)
    table = compare(frame, pairs=[("mnli", "none")], n_resamples=500)
    assert (table["diff"] == 0).all() and (table["p_value"] == 1.0).all()
    assert not table["significant"].any()


def test_drops_and_difference_in_differences_find_planted_robustness() -> None:
    drops = robustness_drops(PLANTED, n_resamples=1000).set_index(["condition", "language"])
    assert drops.loc[("qqp", "all"), "significant"] and drops.loc[("qqp", "all"), "drop"] > 0.2
    row = drops.loc[("multi", "all")]
    assert row["drop"] == pytest.approx(row["clean_acc"] - row["variant_acc"])
    did = compare_drops(PLANTED, n_resamples=1000).set_index(["comparison", "language"])
    assert did.loc[("multi vs qqp", "all"), "significant"]
    assert did.loc[("multi vs qqp", "all"), "ci_high"] < 0
    assert not did.loc[("qqp vs none", "all"), "significant"]


def test_mismatched_example_ids_raise_named_error() -> None:
    frame = PLANTED.drop(index=PLANTED.index[(PLANTED["condition"] == "qqp")][:3])
    with pytest.raises(XstiltsError, match="do not cover the same"):
        compare(frame, n_resamples=100)
    with pytest.raises(XstiltsError, match="do not cover the same"):
        compare_drops(frame, n_resamples=100)
    no_clean = PLANTED.drop(index=PLANTED.index[PLANTED["variant"] == "clean"][:1])
    with pytest.raises(XstiltsError, match="do not cover the same"):
        robustness_drops(no_clean, n_resamples=100)
    with pytest.raises(XstiltsError, match="no rows"):
        compare(PLANTED, pairs=[("multi", "race")], n_resamples=100)


def test_variant_on_a_subset_of_clean_rows_is_allowed_for_drops() -> None:
    frame = PLANTED[(PLANTED["variant"] == "clean") | (PLANTED["example_id"] != "ex0")]
    drops = robustness_drops(frame, n_resamples=100)
    assert (drops[drops["language"] != "all"]["n_examples"] == 199).all()


def test_malformed_tables_raise_named_error() -> None:
    with pytest.raises(XstiltsError, match="lacks columns"):
        compare(PLANTED.drop(columns="seed"))
    with pytest.raises(XstiltsError, match="duplicated"):
        compare(pd.concat([PLANTED, PLANTED.head(1)]))
    with pytest.raises(XstiltsError, match="0/1"):
        compare(PLANTED.assign(correct=1.5))


def test_tables_are_deterministic_and_independent_of_row_order_and_selection() -> None:
    first = compare(PLANTED, n_resamples=500, seed=3)
    shuffled = PLANTED.sample(frac=1.0, random_state=1)
    pd.testing.assert_frame_equal(first, compare(shuffled, n_resamples=500, seed=3))
    one_pair = compare(PLANTED, pairs=[("qqp", "none")], n_resamples=500, seed=3)
    kept = first[first["comparison"] == "qqp vs none"].reset_index(drop=True)
    columns = ["diff", "ci_low", "ci_high", "p_value"]
    pd.testing.assert_frame_equal(one_pair[columns], kept[columns])
    other = compare(PLANTED, n_resamples=500, seed=4)
    assert not np.array_equal(first["ci_low"], other["ci_low"])
    pd.testing.assert_frame_equal(
        compare_drops(PLANTED, n_resamples=300), compare_drops(PLANTED, n_resamples=300)
    )


def _uneven_seeds() -> pd.DataFrame:
    """Two seeds whose variant covers 40 and 4 of the 40 clean rows (as when the effective subset
    differs by seed), with per-seed drops that disagree: pooling rows and averaging per-seed means
    give different numbers."""
    rows = []
    for condition in ("multi", "none"):
        for seed, covered in ((0, 40), (1, 4)):
            for i in range(40):
                keys = (condition, "t", seed, "vi")
                rows.append((*keys, "clean", f"e{i}", 1))
                if i < covered:
                    wrong = (condition == "multi" and seed == 1) or (
                        condition == "none" and seed == 0 and i < 8
                    )
                    rows.append((*keys, "v@0.1", f"e{i}", 0 if wrong else 1))
    columns = ["condition", "task", "seed", "language", "variant", "example_id", "correct"]
    return pd.DataFrame(rows, columns=columns)


def test_side_means_and_difference_use_the_same_rows_across_uneven_seeds() -> None:
    frame = _uneven_seeds()
    did = compare_drops(frame, [("multi", "none")], n_resamples=200)
    assert len(did) == 2  # the pooled row and vi
    for _, row in did.iterrows():
        assert row["diff"] == pytest.approx(row["drop_a"] - row["drop_b"], abs=1e-12)
        assert (row["n_seeds"], row["n_rows"]) == (2, 44)
    # pooled over the 44 rows: multi loses 4, none loses 8; per-seed means would say 0.5 vs 0.1
    assert did.iloc[0]["drop_a"] == pytest.approx(4 / 44)
    assert did.iloc[0]["drop_b"] == pytest.approx(8 / 44)
    drops = robustness_drops(frame, n_resamples=200)
    for _, row in drops.iterrows():
        assert row["drop"] == pytest.approx(row["clean_acc"] - row["variant_acc"], abs=1e-12)
    table = compare(frame, [("multi", "none")], n_resamples=200)
    for _, row in table.iterrows():
        assert row["diff"] == pytest.approx(row["acc_a"] - row["acc_b"], abs=1e-12)
    perturbed = table[table["variant"] == "v@0.1"].iloc[0]
    assert perturbed["acc_a"] == pytest.approx(40 / 44) and perturbed["acc_b"] == pytest.approx(
        36 / 44
    )


def test_every_cell_has_a_pooled_row_even_with_one_language() -> None:
    frame = PLANTED[PLANTED["language"] == "de"]
    for result in (
        compare(frame, n_resamples=100),
        robustness_drops(frame, n_resamples=100),
        compare_drops(frame, n_resamples=100),
    ):
        assert set(result["language"]) == {"all", "de"}
        pooled = result[result["language"] == "all"].reset_index(drop=True)
        alone = result[result["language"] == "de"].reset_index(drop=True)
        assert len(pooled) == len(alone)
        np.testing.assert_allclose(pooled["p_value"], alone["p_value"])


def test_a_pooled_row_is_not_a_second_hypothesis_of_its_own_language() -> None:
    """With one language the pooled row repeats that language's test: each sits in its own Holm
    family (pooled rows, per-language rows), so neither doubles the other's adjusted p-value."""
    one = PLANTED[PLANTED["language"] == "de"]
    table = compare(one, pairs=[("multi", "none")], n_resamples=200)
    clean = table[table["variant"] == "clean"].set_index("language")
    assert clean.loc["all", "p_value"] == clean.loc["de", "p_value"]
    np.testing.assert_allclose(clean["p_holm"], clean["p_value"])


def test_pooled_rows_alone_are_the_pooled_rows_of_the_full_table() -> None:
    """`per_language=False` (what the report's answer asks for) gives exactly the pooled rows the
    full table has: each row's bootstrap seed and Holm family are its own."""
    full = compare_drops(PLANTED, n_resamples=300)
    pooled = compare_drops(PLANTED, n_resamples=300, per_language=False)
    assert set(pooled["language"]) == {"all"} and set(full["language"]) != {"all"}
    expected = full[full["language"] == "all"].reset_index(drop=True)
    pd.testing.assert_frame_equal(pooled.reset_index(drop=True), expected)


def test_sign_flip_test_takes_real_valued_differences() -> None:
    """Per-example F1 differences (QA): exact over sign patterns for few, normal beyond."""
    exact = sign_flip_test(np.array([0.5, 0.5, 0.5, 0.0]))
    # 8 sign patterns of three halves: |sum| = 1.5 for two of them, 0.5 for six
    assert exact.method == "exact" and exact.p_value == pytest.approx(0.25)
    assert sign_flip_test(np.array([0.25, -0.25])).p_value == pytest.approx(1.0)
    many = np.full(100, 0.3)
    normal = sign_flip_test(many)
    assert normal.method == "chi2" and normal.statistic == pytest.approx(100.0)
    assert normal.p_value < 1e-20
    assert sign_flip_test(np.zeros(5) + 0.0).method == "none"
