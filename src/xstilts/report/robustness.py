"""Robustness tables from the evaluate stage's metrics (means over seeds)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable

from xstilts.perturb.segment import char_script
from xstilts.report.markdown import table

Runs = dict[str, dict[str, list[dict]]]  # task -> condition -> metrics per seed


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def seed_mean(seeds: list[dict], get: Callable[[dict], float | None]) -> float | None:
    values = [v for v in map(get, seeds) if v is not None]
    return statistics.fmean(values) if values else None


def has_robustness(runs: Runs) -> bool:
    return all("attacks" in m for by_c in runs.values() for s in by_c.values() for m in s)


def attack_summary(task: str, by_condition: dict[str, list[dict]]) -> list[str]:
    attacks = list(next(iter(by_condition.values()))[0]["attacks"])
    header = ["condition", "clean (attacked subset)"]
    for name in attacks:
        header += [f"{name}: acc", f"{name}: success", f"{name}: queries"]
    header += ["perturbations: mean drop", "effective rate"]
    rows = []
    for condition, seeds in by_condition.items():
        row = [
            condition,
            pct(seed_mean(seeds, lambda m, a=attacks[0]: _zs(m, a, "clean_accuracy"))),
        ]
        for name in attacks:
            row += [
                pct(seed_mean(seeds, lambda m, n=name: _zs(m, n, "accuracy"))),
                pct(seed_mean(seeds, lambda m, n=name: _zs(m, n, "success_rate"))),
                f"{seed_mean(seeds, lambda m, n=name: _zs(m, n, 'mean_queries')):.1f}",
            ]
        row += [
            pct(seed_mean(seeds, lambda m: _mean_over_variants(m, "drop_effective"))),
            pct(seed_mean(seeds, lambda m: _mean_over_variants(m, "effective_rate"))),
        ]
        rows.append(row)
    return [
        f"### {task}: zero-shot mean under attack and perturbation (%)",
        "",
        *table(header, rows),
        "",
    ]


def family_table(task: str, by_condition: dict[str, list[dict]]) -> list[str]:
    conditions = list(by_condition)
    variants = list(next(iter(by_condition.values()))[0]["perturbations"])
    rows = []
    for variant in variants:
        rate = seed_mean(
            next(iter(by_condition.values())),
            lambda m, v=variant: m["perturbations"][v]["mean_zero_shot"]["effective_rate"],
        )
        cells = [
            pct(
                seed_mean(
                    seeds,
                    lambda m, v=variant: m["perturbations"][v]["mean_zero_shot"]["drop_effective"],
                )
            )
            for seeds in by_condition.values()
        ]
        rows.append([variant, pct(rate), *cells])
    return [
        f"### {task}: accuracy drop per perturbation family "
        "(pp, effective examples, zero-shot mean)",
        "",
        *table(["family@strength", "effective rate %", *conditions], rows),
        "",
    ]


def language_table(
    task: str, by_condition: dict[str, list[dict]], texts: dict[str, str]
) -> list[str]:
    """Accuracy under each attack per language, with each language's script."""
    first = next(iter(by_condition.values()))[0]
    attacks = list(first["attacks"])
    languages = list(first["attacks"][attacks[0]]["languages"])
    header = ["language", "script"] + [f"{c}: {a}" for c in by_condition for a in attacks]
    rows = []
    for lang in languages:
        cells = [
            pct(
                seed_mean(
                    seeds, lambda m, a=a, lang=lang: m["attacks"][a]["languages"][lang]["accuracy"]
                )
            )
            for seeds in by_condition.values()
            for a in attacks
        ]
        rows.append([lang, language_script(texts.get(lang, "")), *cells])
    return [
        f"### {task}: accuracy under attack by language and script (%)",
        "",
        *table(header, rows),
        "",
    ]


def language_script(text: str, min_share: float = 0.2) -> str:
    """The script a language is written in, from a sample of its text: the most common
    non-Latin script when it holds at least `min_share` of the letters (names and loanwords in
    Latin letters occur in every language's text), else Latin."""
    counts = Counter(char_script(c) for c in text if c.isalpha())
    total = sum(counts.values())
    other = [(n, s) for s, n in counts.most_common() if s not in ("Latin", "Common", "Other")]
    if other and other[0][0] >= min_share * total:
        return other[0][1]
    return "Latin" if counts.get("Latin") else "Common"


def _zs(metrics: dict, attack: str, key: str) -> float:
    return metrics["attacks"][attack]["mean_zero_shot"][key]


def _mean_over_variants(metrics: dict, key: str) -> float:
    return statistics.fmean(v["mean_zero_shot"][key] for v in metrics["perturbations"].values())
