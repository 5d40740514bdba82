"""The report's generalized setting: accuracy when a pair's two texts are in two languages.

From the evaluate stage's `generalized` metrics (`xstilts.evaluate.generalized`): for each
parallel pair target, a summary table over the conditions and, per condition, the matrix of
accuracy by the first text's language (rows) and the second's (columns). The diagonal is the
clean same-language pair on the same examples, so every cell of a row is on the same examples.
The comparisons between conditions (the drop from the same-language pair to the mixed one) are
made by the caller with `drop_comparisons` and shown here as a family of their own.
"""

from __future__ import annotations

import statistics

from xstilts.evaluate.generalized import is_generalized, partner_of
from xstilts.report.markdown import table
from xstilts.report.robustness import pct, seed_mean

Runs = dict[str, dict[str, list[dict]]]  # task -> condition -> metrics per seed


def generalized_tasks(runs: Runs) -> list[str]:
    """The targets evaluated in the generalized setting."""
    return [
        task
        for task, by_condition in runs.items()
        if all("generalized" in m for seeds in by_condition.values() for m in seeds)
    ]


def pair_accuracy(metrics: dict, first: str, second: str) -> float | None:
    """One run's accuracy with the first text in `first` and the second in `second` (the clean
    same-language accuracy on the same examples when they are equal)."""
    for name, summary in metrics["generalized"].items():
        cell = summary["languages"].get(first)
        if cell is None:
            continue
        if partner_of(name) == second:
            return cell["accuracy"]
        if first == second:
            return cell["clean_accuracy"]
    return None


def languages_of(metrics: dict) -> list[str]:
    """The languages of the setting: every partner, English first."""
    found = sorted(partner_of(name) for name in metrics["generalized"] if is_generalized(name))
    return sorted(found, key=lambda lang: lang != "en")


def summary_table(by_condition: dict[str, list[dict]]) -> list[str]:
    """Per condition: same-language and mixed-language zero-shot accuracy (means over cells)."""
    first = next(iter(by_condition.values()))[0]
    langs = languages_of(first)
    groups = {
        "same language (zero-shot)": [(a, a) for a in langs if a != "en"],
        "English + other": [(a, b) for a in langs for b in langs if a != b and "en" in (a, b)],
        "two non-English": [(a, b) for a in langs for b in langs if a != b and "en" not in (a, b)],
    }
    rows = []
    for condition, seeds in by_condition.items():
        means = {name: _mean_cells(seeds, cells) for name, cells in groups.items() if cells}
        same, mixed = means.get("same language (zero-shot)"), means.get("two non-English")
        drop = None if same is None or mixed is None else same - mixed
        rows.append([condition, *(pct(v) for v in means.values()), pct(drop)])
    names = [name for name, cells in groups.items() if cells]
    return table(["condition", *names, "drop (same - two non-English)"], rows)


def matrix(condition: str, seeds: list[dict]) -> list[str]:
    """Accuracy (%) by the first text's language (rows) and the second's (columns)."""
    langs = languages_of(seeds[0])
    rows = [
        [
            f"**{a}**",
            *(pct(seed_mean(seeds, lambda m, a=a, b=b: pair_accuracy(m, a, b))) for b in langs),
        ]
        for a in langs
    ]
    return [f"{condition}:", "", *table(["first \\ second", *langs], rows), ""]


def _mean_cells(seeds: list[dict], cells: list[tuple[str, str]]) -> float | None:
    values = [seed_mean(seeds, lambda m, a=a, b=b: pair_accuracy(m, a, b)) for a, b in cells]
    defined = [v for v in values if v is not None]
    return statistics.fmean(defined) if defined else None


def generalized_lines(runs: Runs, comparisons: list[str], examples: int | None) -> list[str]:
    """The section: per task, the summary and the matrices; then the comparisons' table."""
    tasks = generalized_tasks(runs)
    if not tasks:
        return []
    subset = f"the first {examples}" if examples else "all"
    lines = [
        "## Generalized setting: a pair's two texts in two languages",
        "",
        f"Parallel pair targets ({', '.join(tasks)}): each test pair's first text in one "
        "language and its second text, the translation of the same pair's, in another (same "
        f"label), on {subset} test examples of each language. Zero-shot transfer then has to "
        "relate texts across languages, which English training never asked of it. The "
        "same-language column and the matrices' diagonals are the clean pairs on the same "
        "examples; 'drop' is same-language minus two-non-English accuracy (%, means over cells "
        "and seeds).",
        "",
    ]
    for task in tasks:
        by_condition = runs[task]
        lines += [f"### {task}: generalized setting (%)", "", *summary_table(by_condition), ""]
        lines += ["<details><summary>accuracy by language pair, per condition</summary>", ""]
        for condition, seeds in by_condition.items():
            lines += matrix(condition, seeds)
        lines += ["</details>", ""]
    return [*lines, *comparisons]


def split_variants(variants: list[str]) -> tuple[list[str], list[str]]:
    """(perturbation variants, generalized variants) of the per-example frame."""
    return (
        [v for v in variants if not is_generalized(v)],
        [v for v in variants if is_generalized(v)],
    )
