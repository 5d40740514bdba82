"""Scores under attack for a tagging target: every attack of the profile, every test sentence of
the attack subsample that has a score to lose (a sentence at score 0 is not attacked).

Per language: the clean score and the score under attack (the task's metric over the attacked
sentences' carried gold tags), their difference, the success rate (sentences whose score fell),
mean queries, the perturbed-unit ratio of successful attacks, and the score at each word budget
of `budget_curve`, read off each attack's per-change record (see `xstilts.attack.tagging`). A
language none of the attack's families applies to is flagged `not_applicable`, as for
classification. Rows keep `correct` (sentence exact match after the attack), the unit of the
paired statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xstilts.attack.budget import AttackBudget
from xstilts.attack.tagging import TagAttackResult, TaggingAttacker, sentence_score
from xstilts.evaluate.language_summary import mean, per_language, ratio
from xstilts.evaluate.under_attack import attack_applies
from xstilts.examples import TaggedExample
from xstilts.perturb.rng import rng_for
from xstilts.tag_metrics import Counts, tag_counts


def run_tag_attack(
    name: str,
    attacker: TaggingAttacker,
    budget: AttackBudget,
    examples: Sequence[TaggedExample],
    clean_pred: dict[tuple[str, str], list[int]],
    seed: int,
) -> list[dict[str, Any]]:
    """Attack every sentence with a score above 0 (all in lockstep, batched together)."""
    names, metric = attacker.scheme.names, attacker.metric
    clean = {
        (e.lang, e.id): tag_counts(metric, list(e.tags), clean_pred[(e.lang, e.id)], names)
        for e in examples
    }
    applies = {lang: attack_applies(attacker, lang) for lang in {e.lang for e in examples}}
    chosen = [e for e in examples if applies[e.lang] and sentence_score(clean[(e.lang, e.id)]) > 0]
    jobs = [(e, e.lang, rng_for(seed, e.id, name)) for e in chosen]
    results = dict(
        zip(((e.lang, e.id) for e in chosen), attacker.attack_many(jobs, budget), strict=True)
    )
    rows = []
    for e in examples:
        key = (e.lang, e.id)
        row = attack_row(name, seed, e, clean[key], clean_pred[key], results.get(key))
        rows.append(row if applies[e.lang] else row | {"not_applicable": True})
    return rows


def attack_row(
    name: str,
    seed: int,
    example: TaggedExample,
    clean: Counts,
    clean_pred: list[int],
    result: TagAttackResult | None,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": example.id,
        "lang": example.lang,
        "attack": name,
        "seed": seed,
        "gold": list(example.tags),
        "clean_counts": [clean.numerator, clean.denominator],
        "attacked": result is not None,
    }
    if result is None:
        return row | {
            "flipped": False,
            "correct": list(clean_pred) == list(example.tags),
            "counts": row["clean_counts"],
            "steps": [],
        }
    return row | {
        "flipped": result.succeeded,
        "correct": list(result.adversarial_pred) == list(result.adversarial.tags),
        "counts": [result.final.numerator, result.final.denominator],
        "steps": [[c.numerator, c.denominator] for c in result.steps],
        "queries": result.queries,
        "perturbed_units": result.perturbed_units,
        "total_units": result.total_units,
        "families": list(result.families),
        "edits": {"text": [[e.start, e.end, e.replacement] for e in result.edits]},
        "words": list(result.adversarial.words),
        "tags": list(result.adversarial.tags),
        "pred": list(result.adversarial_pred),
    }


def summarize_tag_attack(
    rows: list[dict[str, Any]], budget_curve: Sequence[float]
) -> dict[str, Any]:
    return per_language(
        rows,
        lambda lang_rows: _summary(lang_rows, budget_curve),
        ("clean_score", "score", "drop", "success_rate", "mean_queries"),
    )


def _summary(rows: list[dict[str, Any]], budget_curve: Sequence[float]) -> dict[str, Any]:
    attacked = [r for r in rows if r["attacked"]]
    succeeded = [r for r in attacked if r["flipped"]]
    clean, final = _corpus(rows, "clean_counts"), _corpus(rows, "counts")
    return {
        "n": len(rows),
        "attacked_rate": ratio(len(attacked), len(rows)),
        "clean_score": clean,
        "score": final,
        "drop": None if clean is None or final is None else clean - final,
        "exact_match": mean([r["correct"] for r in rows]),
        "success_rate": ratio(len(succeeded), len(attacked)),
        "mean_queries": mean([r["queries"] for r in attacked]),
        "perturbed_unit_ratio": mean([r["perturbed_units"] / r["total_units"] for r in succeeded]),
        "score_at_budget": {f"{b:g}": _score_at(rows, b) for b in budget_curve},
    }


def _corpus(rows: list[dict[str, Any]], key: str) -> float | None:
    numerator = sum(r[key][0] for r in rows)
    denominator = sum(r[key][1] for r in rows)
    return ratio(numerator, denominator) if rows else None


def _score_at(rows: list[dict[str, Any]], budget: float) -> float | None:
    """The corpus score had each attack changed at most `budget` of its words."""
    counts = []
    for row in rows:
        steps = row["steps"]
        if not steps:
            counts.append(row["counts"])
            continue
        allowed = AttackBudget(max_unit_fraction=budget).max_changes(row["total_units"])
        counts.append(steps[min(allowed, len(steps)) - 1])
    return _corpus([{"c": c} for c in counts], "c")
