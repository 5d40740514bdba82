"""Robustness tables from the evaluate stage's metrics (means over seeds).

A metric that is undefined (None in the metrics files: e.g. the drop on effective examples where
no perturbation was effective, or the success rate where nothing was attacked) is left out of
every mean, over seeds and over variants, and a cell with no defined value shows "-". A
language a family or attack does not apply to is named (`not_applicable_lines`), never silent.

Values are in each task's metric (`xstilts.report.scores`): accuracy, or a tagging target's word
accuracy or entity F1, and the tables say which. An attack the evaluate stage did not run on a
task (marked `not_run` in its metrics) is named with its reason and shows no numbers.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable

from xstilts.perturb.segment import char_script
from xstilts.report.markdown import table
from xstilts.report.scores import (
    attacks_not_run,
    attacks_run,
    clean_scores,
    metric_label,
    metric_short,
    value_key,
)

Runs = dict[str, dict[str, list[dict]]]  # task -> condition -> metrics per seed


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def mean_defined(values: Iterable[float | None]) -> float | None:
    """The mean of the values that are not None; None when there are none."""
    defined = [v for v in values if v is not None]
    return statistics.fmean(defined) if defined else None


def seed_mean(seeds: list[dict], get: Callable[[dict], float | None]) -> float | None:
    return mean_defined(map(get, seeds))


def has_robustness(runs: Runs) -> bool:
    return all("attacks" in m for by_c in runs.values() for s in by_c.values() for m in s)


def not_applicable(by_condition: dict[str, list[dict]]) -> dict[str, list[str]]:
    """Languages each perturbation family ("codeswitch") or attack ("attack:codeswitch") does
    not apply to, over every run of the task; only those with some."""
    found: dict[str, set[str]] = {}
    for seeds in by_condition.values():
        for m in seeds:
            for variant, v in m["perturbations"].items():
                found.setdefault(variant.split("@")[0], set()).update(v.get("not_applicable", []))
            for name, a in m["attacks"].items():
                found.setdefault(f"attack:{name}", set()).update(a.get("not_applicable", []))
    return {what: sorted(langs) for what, langs in found.items() if langs}


def not_applicable_lines(task: str, by_condition: dict[str, list[dict]]) -> list[str]:
    """A short section naming, with their number, the languages left out as not applicable."""
    missing = not_applicable(by_condition)
    if not missing:
        return []
    first = next(iter(by_condition.values()))[0]
    zero_shot = len([lang for lang in clean_scores(first) if lang != "en"])
    items = [
        f"- {_what(what)}: not applicable in {len(langs)} of {zero_shot} zero-shot languages "
        f"({', '.join(langs)})"
        for what, langs in missing.items()
    ]
    return [
        f"### {task}: not applicable",
        "",
        *items,
        "",
        "A family or attack with nothing to work with in a language (code-switching where MUSE "
        "has no bilingual dictionary for it) leaves its inputs unchanged there: those languages "
        "are left out of its zero-shot means and comparisons, never counted as robust.",
        "",
    ]


def _what(key: str) -> str:
    if key.startswith("attack:"):
        return f"{key.removeprefix('attack:')} attack"
    return f"{key} perturbations"


def attack_summary(task: str, by_condition: dict[str, list[dict]]) -> list[str]:
    """Zero-shot means under each attack that was run and over the perturbation variants; the
    attacks not run are named with their reason instead of numbers."""
    first = next(iter(by_condition.values()))[0]
    attacks = list(attacks_run(first))
    header = ["condition"] + (["clean (attacked subset)"] if attacks else [])
    for name in attacks:
        header += [f"{name}: {metric_short(first)}", f"{name}: success", f"{name}: queries"]
    header += ["perturbations: mean drop", "effective rate"]
    rows = [_summary_row(condition, seeds, attacks) for condition, seeds in by_condition.items()]
    label = metric_label(first)
    what = "under attack and perturbation" if attacks else "under perturbation"
    return [
        f"### {task}: zero-shot mean {what} (%)",
        "",
        *table(header, rows),
        "",
        f"perturbations: mean drop (in {label}) is over the perturbation variants with an "
        'effective example in some zero-shot language (effective examples only); "-": no value '
        "was defined.",
        "",
        *not_run_lines(task, first),
    ]


def _summary_row(condition: str, seeds: list[dict], attacks: list[str]) -> list[str]:
    row = [condition]
    if attacks:
        row.append(pct(seed_mean(seeds, lambda m, a=attacks[0]: _zs(m, a, "clean_accuracy"))))
    for name in attacks:
        row += [
            pct(seed_mean(seeds, lambda m, n=name: _zs(m, n, "accuracy"))),
            pct(seed_mean(seeds, lambda m, n=name: _zs(m, n, "success_rate"))),
            num(seed_mean(seeds, lambda m, n=name: _zs(m, n, "mean_queries"))),
        ]
    drop = seed_mean(seeds, lambda m: _mean_over_variants(m, "drop_effective"))
    rate = seed_mean(seeds, lambda m: _mean_over_variants(m, "effective_rate"))
    return [*row, pct(drop), pct(rate)]


def not_run_lines(task: str, metrics: dict) -> list[str]:
    """One sentence naming the attacks not run on `task` and why; nothing when all ran."""
    skipped = attacks_not_run(metrics)
    if not skipped:
        return []
    reasons = sorted(set(skipped.values()))
    return [
        f"Attacks not run on {task}: {', '.join(skipped)} ({'; '.join(reasons)}); "
        "there are no attack numbers for it.",
        "",
    ]


def family_table(task: str, by_condition: dict[str, list[dict]]) -> list[str]:
    conditions = list(by_condition)
    first = next(iter(by_condition.values()))
    variants = list(first[0]["perturbations"])
    rows = []
    for variant in variants:
        rate = seed_mean(first, lambda m, v=variant: _variant_zs(m, v, "effective_rate"))
        counts = [_zero_shot_count(m, variant, "drop_effective") for m in first]
        cells = [
            pct(seed_mean(seeds, lambda m, v=variant: _variant_zs(m, v, "drop_effective")))
            for seeds in by_condition.values()
        ]
        rows.append([variant, pct(rate), _count_range(counts), *cells])
    return [
        f"### {task}: {metric_label(first[0])} drop per perturbation family "
        "(pp, effective examples, zero-shot mean)",
        "",
        "Each drop is the mean over the zero-shot languages with at least one effective example "
        "(their number in the third column, a range when it differs by seed); "
        '"-": no zero-shot example was effective, so there is no drop to measure.',
        "",
        *table(["family@strength", "effective rate %", "languages (effective)", *conditions], rows),
        "",
    ]


AT_CHANCE = " (at chance)"


def language_table(
    task: str,
    by_condition: dict[str, list[dict]],
    texts: dict[str, str],
    at_chance: dict[str, list[str]] | None = None,
) -> list[str]:
    """Accuracy under each attack per language, with each language's script (no table when
    no attack was run on the task).

    A cell whose condition is at chance on clean inputs in that language (`at_chance`:
    condition -> languages) is marked uninformative: the model has no accuracy to lose there.
    """
    at_chance = at_chance or {}
    first = next(iter(by_condition.values()))[0]
    attacks = list(attacks_run(first))
    if not attacks:  # named, with the reason, in `attack_summary`
        return []
    languages = list(first["attacks"][attacks[0]]["languages"])
    label = metric_label(first)
    header = ["language", "script"] + [f"{c}: {a}" for c in by_condition for a in attacks]
    rows = []
    for lang in languages:
        cells = [
            pct(seed_mean(seeds, lambda m, a=a, lang=lang: _attacked_score(m, a, lang)))
            + (AT_CHANCE if lang in at_chance.get(condition, []) else "")
            for condition, seeds in by_condition.items()
            for a in attacks
        ]
        rows.append([lang, language_script(texts.get(lang, "")), *cells])
    marked = any(lang in at_chance.get(c, []) for c in by_condition for lang in languages)
    note = [
        f'"{AT_CHANCE.strip()}": that condition\'s clean {label} in that language is not '
        f"significantly above chance, so its {label} under attack says nothing about robustness "
        "(uninformative; left out of the pooled comparisons).",
        "",
    ]
    return [
        f"### {task}: {label} under attack by language and script (%)",
        "",
        *table(header, rows),
        "",
        *(note if marked else []),
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


def _zs(metrics: dict, attack: str, key: str) -> float | None:
    """The attack's zero-shot mean of `key` (its classification name; see `value_key`)."""
    return metrics["attacks"][attack]["mean_zero_shot"][value_key(metrics, key)]


def _attacked_score(metrics: dict, attack: str, lang: str) -> float | None:
    """The score under `attack` in `lang`, in the run's metric."""
    return metrics["attacks"][attack]["languages"][lang][value_key(metrics, "accuracy")]


def _variant_zs(metrics: dict, variant: str, key: str) -> float | None:
    return metrics["perturbations"][variant]["mean_zero_shot"][key]


def _zero_shot_count(metrics: dict, variant: str, key: str) -> int:
    """How many zero-shot languages the variant's mean of `key` is over."""
    return metrics["perturbations"][variant]["n_zero_shot"][key]


def _count_range(counts: list[int]) -> str:
    """The count of the seeds ("3"), or a range when they differ ("2 to 3")."""
    low, high = min(counts), max(counts)
    return str(low) if low == high else f"{low} to {high}"


def _mean_over_variants(metrics: dict, key: str) -> float | None:
    """Mean over the perturbation variants where the zero-shot mean of `key` is defined."""
    return mean_defined(v["mean_zero_shot"][key] for v in metrics["perturbations"].values())
