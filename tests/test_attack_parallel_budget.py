"""On a parallel test set the attack's word budget is a fraction of the English example's words:
the same example gets the same number of changes in every language, however its segmenter cuts
it, never more than its own words; rows record the base, and the budget curve reads it."""

from __future__ import annotations

import random

import numpy as np

from xstilts.attack import AttackBudget
from xstilts.evaluate.under_attack import _survives, run_attack
from xstilts.examples import Example, PairExample

from .test_attack import KeywordModel, attacker


class TwoKeywords(KeywordModel):
    """P(class 1) = 0.3 + 0.3 x occurrences of `keyword` in the first text: with two, both must
    change to flip it, and changing one already lowers it (the greedy search takes that step)."""

    def __call__(self, examples: list[Example]) -> np.ndarray:
        super().__call__(examples)
        counts = [e.text_a.split().count(self.keyword) for e in examples]
        return np.array([[0.7 - 0.3 * n, 0.3 + 0.3 * n] for n in counts])


ENGLISH = PairExample("7", "en", "good film good", "x", 1)  # 4 words: a budget of 1 at 0.3
# the same pair in a language segmented into many more words: 10 units, a budget of 3 at 0.3
LONG = PairExample("7", "ru", "хороший фильм и хороший и весь этот длинный день", "x", 1)


def test_the_budget_is_a_fraction_of_the_reference_units_and_at_most_the_examples_own() -> None:
    budget = AttackBudget(max_unit_fraction=0.2)
    assert budget.max_changes(20) == 4
    assert budget.max_changes(20, reference_units=10) == 2
    assert budget.max_changes(20, reference_units=1000) == 20
    assert budget.max_changes(20, reference_units=0) == 1


def test_a_parallel_examples_changes_are_counted_against_its_english_words() -> None:
    budget = AttackBudget(max_unit_fraction=0.3, max_queries=500)
    model = attacker(TwoKeywords("хороший"))
    jobs = [(LONG, "ru", random.Random(0))]
    alone = model.attack_many(jobs, budget)[0]
    assert alone.total_units == alone.budget_units == 10
    assert alone.flipped and alone.perturbed_units == 2  # its own 10 words allow 3 changes
    english_units = model.count_units(ENGLISH, "en")
    assert english_units == 4
    held = model.attack_many(jobs, budget, reference_units=[english_units])[0]
    assert held.budget_units == 4 and held.total_units == 10
    assert not held.flipped and held.perturbed_units <= 1  # English's 4 words allow 1


def test_rows_record_the_base_and_the_budget_curve_reads_it() -> None:
    budget = AttackBudget(max_unit_fraction=1.0, max_queries=500)
    model = attacker(TwoKeywords("хороший"))
    clean_pred = {("ru", "7"): 1}
    (row,) = run_attack("typo", model, budget, [LONG], clean_pred, 0, {"7": ENGLISH})
    assert row["flipped"] and row["perturbed_units"] == 2
    assert row["budget_units"] == 4 and row["total_units"] == 10
    # at half the budget: 2 of English's 4 words may change, so the flip counts
    assert not _survives(row, 0.5)
    # at a quarter: 1 word may change, the flip needed 2
    assert _survives(row, 0.25)
    (own,) = run_attack("typo", model, budget, [LONG], clean_pred, 0)
    assert own["budget_units"] == own["total_units"] == 10
