"""Scores under attack for a span-QA target: every attack of the profile, every question of the
attack subsample whose clean answer has some F1 to lose (one at F1 0 is not attacked).

Per language: the clean F1 and the F1 under attack (mean over the subsample), their difference,
the success rate (questions whose F1 fell), mean queries, the perturbed-unit ratio of successful
attacks and the F1 at each word budget of `budget_curve`, read off each attack's per-change
record (`xstilts.attack.spans`). Rows keep the per-question F1 before and after (`clean_f1`,
`f1`), the unit of the paired statistics, and `correct` (exact match after the attack).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xstilts.attack.budget import AttackBudget
from xstilts.attack.spans import SpanAttacker, SpanAttackResult
from xstilts.evaluate.language_summary import mean, per_language, ratio
from xstilts.evaluate.under_attack import attack_applies
from xstilts.examples import SpanExample
from xstilts.perturb.rng import rng_for


def run_span_attack(
    name: str,
    attacker: SpanAttacker,
    budget: AttackBudget,
    examples: Sequence[SpanExample],
    clean_rows: dict[tuple[str, str], dict[str, Any]],
    seed: int,
) -> list[dict[str, Any]]:
    """Attack every question with a clean F1 above 0 (all in lockstep, batched together)."""
    applies = {lang: attack_applies(attacker, lang) for lang in {e.lang for e in examples}}
    chosen = [e for e in examples if applies[e.lang] and clean_rows[(e.lang, e.id)]["f1"] > 0]
    jobs = [(e, e.lang, rng_for(seed, e.id, name)) for e in chosen]
    results = dict(
        zip(((e.lang, e.id) for e in chosen), attacker.attack_many(jobs, budget), strict=True)
    )
    rows = []
    for e in examples:
        key = (e.lang, e.id)
        row = attack_row(name, seed, e, clean_rows[key], results.get(key))
        rows.append(row if applies[e.lang] else row | {"not_applicable": True})
    return rows


def attack_row(
    name: str,
    seed: int,
    example: SpanExample,
    clean: dict[str, Any],
    result: SpanAttackResult | None,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": example.id,
        "lang": example.lang,
        "attack": name,
        "seed": seed,
        "gold": list(example.answers),
        "clean_f1": clean["f1"],
        "clean_pred": clean["pred"],
        "attacked": result is not None,
    }
    if result is None:
        return row | {
            "flipped": False,
            "f1": clean["f1"],
            "correct": bool(clean["em"]),
            "steps": [],
        }
    return row | {
        "flipped": result.succeeded,
        "f1": round(result.f1, 6),
        "correct": bool(result.exact_match),
        "steps": [round(f, 6) for f in result.steps],
        "queries": result.queries,
        "perturbed_units": result.perturbed_units,
        "total_units": result.total_units,
        "families": list(result.families),
        "edits": {
            f: [[e.start, e.end, e.replacement] for e in edits] for f, edits in result.edits.items()
        },
        "question": result.adversarial.question,
        "context": result.adversarial.context,
        "answers": list(result.adversarial.answers),
        "starts": list(result.adversarial.starts),
        "pred": result.answer.text,
    }


def summarize_span_attack(
    rows: list[dict[str, Any]], budget_curve: Sequence[float]
) -> dict[str, Any]:
    return per_language(
        rows,
        lambda lang_rows: _summary(lang_rows, budget_curve),
        ("clean_f1", "f1", "drop", "success_rate", "mean_queries"),
    )


def _summary(rows: list[dict[str, Any]], budget_curve: Sequence[float]) -> dict[str, Any]:
    attacked = [r for r in rows if r["attacked"]]
    succeeded = [r for r in attacked if r["flipped"]]
    clean, final = mean([r["clean_f1"] for r in rows]), mean([r["f1"] for r in rows])
    return {
        "n": len(rows),
        "attacked_rate": ratio(len(attacked), len(rows)),
        "clean_f1": clean,
        "f1": final,
        "drop": None if clean is None or final is None else clean - final,
        "success_rate": ratio(len(succeeded), len(attacked)),
        "mean_queries": mean([r["queries"] for r in attacked]),
        "perturbed_unit_ratio": mean([r["perturbed_units"] / r["total_units"] for r in succeeded]),
        "f1_at_budget": {f"{b:g}": _f1_at(rows, b) for b in budget_curve},
    }


def _f1_at(rows: list[dict[str, Any]], budget: float) -> float | None:
    """The mean F1 had each attack changed at most `budget` of its units."""
    values = []
    for row in rows:
        steps = row["steps"]
        if not steps:
            values.append(row["f1"])
            continue
        allowed = AttackBudget(max_unit_fraction=budget).max_changes(row["total_units"])
        values.append(steps[min(allowed, len(steps)) - 1])
    return mean(values)
