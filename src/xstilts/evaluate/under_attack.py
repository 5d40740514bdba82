"""Accuracy under attack: every attack of the profile against one target checkpoint.

Only examples the model gets right are attacked (an example it already gets wrong counts as
wrong under attack and costs no query). Success rate = flipped / attacked and mean queries are
over attacked examples, the perturbed-unit ratio over successful attacks; each is None (JSON
null) in a language where there is nothing to average over, and left out of the zero-shot mean.
A language none of the attack's families applies to (code-switching without a dictionary for
it) is not attacked at all: its rows are flagged `not_applicable`, its values are None and it is
named in the attack's `not_applicable` (see `xstilts.evaluate.language_summary`), not counted as a
language where every attack failed.

On a parallel test set (the task's spec says `parallel_test`; XNLI, PAWS-X, XCOPA) the word
budget of an example is a fraction of the words of the same example in English, counted by the
same attack, so each language gets as many changes for the same content (`AttackBudget`); a
row's `budget_units` records the count the fraction was taken of. Without an English test
example of that id (XCOPA in the full profile has no English test set) the example's own words
count.

Accuracy at each budget of `budget_curve` is read off the one attack run at the configured
budget: an attack counts as successful at a smaller budget when it needed at most that fraction
of the words (of `budget_units`). For greedy search (beam width 1) this is exact: a run with the
smaller budget follows the same path (each step adds one changed word, and the word ranking and
query budget do not depend on the word budget) and stops where the word budget runs out. For
beam search (beam width > 1) it is not: with a smaller word budget the beam holds different
partial attacks, and a run could find a flip within the smaller budget that this run did not.
The curve is then an upper bound on accuracy at the smaller budgets (a lower bound on attack
success); only the point at the configured budget is measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xstilts.attack import AttackBudget, Attacker, AttackResult
from xstilts.evaluate.language_summary import mean, per_language, ratio
from xstilts.examples import Example
from xstilts.perturb.examples import example_fields
from xstilts.perturb.rng import rng_for


def attack_row(name: str, seed: int, example: Example, result: AttackResult | None) -> dict:
    row: dict[str, Any] = {
        "id": example.id,
        "lang": example.lang,
        "attack": name,
        "seed": seed,
        "gold": example.label,
        "attacked": result is not None,
    }
    if result is None:
        return row | {"flipped": False, "correct": False}
    pred = int(result.adversarial_probs.argmax())
    return row | {
        "flipped": result.flipped,
        "pred": pred,
        "correct": pred == example.label,
        "queries": result.queries,
        "perturbed_units": result.perturbed_units,
        "total_units": result.total_units,
        "budget_units": result.budget_units,
        "families": list(result.families),
        "edits": {
            f: [[e.start, e.end, e.replacement] for e in es] for f, es in result.edits.items()
        },
        "fields": {
            f: t for f, t in example_fields(result.adversarial).items() if f in result.edits
        },
    }


def run_attack(
    name: str,
    attacker: Attacker,
    budget: AttackBudget,
    examples: Sequence[Example],
    clean_pred: dict[tuple[str, str], int],
    seed: int,
    references: dict[str, Example] | None = None,
) -> list[dict[str, Any]]:
    """Attack every correctly predicted example (all in lockstep, batched together); with
    `references` (example id -> the English example of a parallel test set) each example's word
    budget is a fraction of its English example's words."""
    applicable = [e for e in examples if attack_applies(attacker, e.lang)]
    correct = [e for e in applicable if clean_pred[(e.lang, e.id)] == e.label]
    jobs = [(e, e.lang, rng_for(seed, e.id, name)) for e in correct]
    keys = [(e.id, e.lang) for e in correct]
    counts = reference_counts(attacker, references or {})
    bases = [counts.get(e.id) for e in correct]
    found = attacker.attack_many(jobs, budget, reference_units=bases)
    results = dict(zip(keys, found, strict=True))
    return [
        attack_row(name, seed, e, results.get((e.id, e.lang)))
        if attack_applies(attacker, e.lang)
        else not_applicable_row(name, seed, e, clean_pred[(e.lang, e.id)])
        for e in examples
    ]


def reference_counts(attacker: Attacker, references: dict[str, Example]) -> dict[str, int]:
    """Example id -> the units the attack counts in that id's English example."""
    return {i: attacker.count_units(example, example.lang) for i, example in references.items()}


def attack_applies(attacker: Attacker, language: str) -> bool:
    """Whether any family of the attack has what it needs for `language`."""
    return any(family.supports(language) for family in attacker.families.values())


def not_applicable_row(name: str, seed: int, example: Example, clean_pred: int) -> dict:
    """The row of an example no family of the attack applies to: not attacked, flagged, and
    correct as the unchanged input is (left out of every metric and comparison)."""
    row = attack_row(name, seed, example, None)
    return row | {"correct": clean_pred == example.label, "not_applicable": True}


def summarize_attack(rows: list[dict[str, Any]], budget_curve: Sequence[float]) -> dict[str, Any]:
    """Per-language attack metrics and their zero-shot means (see the module docstring)."""
    return per_language(
        rows,
        lambda lang_rows: _summary(lang_rows, budget_curve),
        ("clean_accuracy", "accuracy", "success_rate", "mean_queries"),
    )


def _summary(rows: list[dict[str, Any]], budget_curve: Sequence[float]) -> dict[str, Any]:
    attacked = [r for r in rows if r["attacked"]]
    flipped = [r for r in attacked if r["flipped"]]
    return {
        "n": len(rows),
        "clean_accuracy": ratio(len(attacked), len(rows)),
        "accuracy": mean([r["correct"] for r in rows]),
        "success_rate": ratio(len(flipped), len(attacked)),
        "mean_queries": mean([r["queries"] for r in attacked]),
        "perturbed_unit_ratio": mean([r["perturbed_units"] / r["total_units"] for r in flipped]),
        "accuracy_at_budget": {
            f"{b:g}": mean([_survives(r, b) for r in rows]) for b in budget_curve
        },
    }


def _survives(row: dict[str, Any], budget: float) -> bool:
    """Still correct when the attack may change at most `budget` of the words (exact for greedy
    search; for beam search an optimistic reading, see the module docstring)."""
    if not row["attacked"]:
        return False
    if not row["flipped"]:
        return True
    allowed = AttackBudget(max_unit_fraction=budget).max_changes(
        row["total_units"], row.get("budget_units")
    )
    return row["perturbed_units"] > allowed
