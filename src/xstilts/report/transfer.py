"""How far zero-shot transfer is above chance, per target task, condition and language.

The report says this before it discusses robustness: a model at chance in a language has no
accuracy to lose there, so its drop under a perturbation is noise. A (task, condition, language)
whose clean test accuracy is not significantly above chance (one-sided exact binomial test) is
therefore uninformative for robustness: marked in the robustness tables and left out of the
pooled comparisons (`at_chance`).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from xstilts.report.markdown import table
from xstilts.stats import above_chance_p

Runs = dict[str, dict[str, list[dict]]]  # task -> condition -> metrics per seed
AtChance = dict[str, dict[str, list[str]]]  # task -> condition -> languages at chance


@dataclass(frozen=True)
class TransferCell:
    """Clean test accuracy of one (task, condition, language), tested against chance.

    `accuracy` is the mean over seeds and `n` the test examples summed over seeds; `above` is
    p_value <= alpha.
    """

    accuracy: float
    n: int
    chance: float
    p_value: float
    above: bool

    @property
    def margin(self) -> float:
        return self.accuracy - self.chance


def transfer_cell(seeds: list[dict], lang: str, alpha: float) -> TransferCell:
    """The cell of `lang` from one metrics dict per seed (keys accuracy, examples, chance)."""
    accuracy = statistics.fmean(m["accuracy"][lang] for m in seeds)
    n = sum(m["examples"][lang] for m in seeds)
    chance = seeds[0]["chance"]
    p_value = above_chance_p(accuracy, n, chance)
    return TransferCell(accuracy, n, chance, p_value, p_value <= alpha)


def transfer_cells(runs: Runs, alpha: float) -> dict[str, dict[str, dict[str, TransferCell]]]:
    """task -> condition -> language -> cell, languages in the metrics' order."""
    return {
        task: {
            condition: {lang: transfer_cell(seeds, lang, alpha) for lang in seeds[0]["accuracy"]}
            for condition, seeds in by_condition.items()
        }
        for task, by_condition in runs.items()
    }


def at_chance(cells: dict[str, dict[str, dict[str, TransferCell]]]) -> AtChance:
    """The languages not significantly above chance, per task and condition; only those with
    some."""
    found: AtChance = {}
    for task, by_condition in cells.items():
        for condition, by_lang in by_condition.items():
            langs = [lang for lang, cell in by_lang.items() if not cell.above]
            if langs:
                found.setdefault(task, {})[condition] = langs
    return found


def transfer_ratio(by_lang: dict[str, TransferCell], lang: str) -> float | None:
    """(acc_lang - chance) / (acc_en - chance); None unless English is above chance."""
    english = by_lang.get("en")
    if english is None or not english.above:
        return None
    return by_lang[lang].margin / english.margin


def transfer_section(
    cells: dict[str, dict[str, dict[str, TransferCell]]], alpha: float, seeds: int
) -> list[str]:
    """The report section: per task, accuracy above chance and the transfer ratio."""
    pooled = (
        f" With {seeds} seeds the test uses the seed-mean accuracy and the test examples summed "
        "over seeds; the seeds share their examples, so this overstates n and is lenient: it "
        "marks fewer cells as at chance."
        if seeds > 1
        else ""
    )
    lines = [
        "## Zero-shot transfer above chance",
        "",
        "Clean test accuracy minus chance, in percentage points; yes/no: significantly above "
        "chance (one-sided exact binomial test against the chance level on the language's test "
        f"examples, alpha = {alpha}, each cell on its own).{pooled} A cell that is not above "
        "chance is uninformative for robustness: a model at chance has no accuracy to lose, so "
        "its drop under a perturbation is noise. Such cells are marked in the robustness tables "
        "and left out of the pooled comparisons. Transfer ratio: (acc_xx - chance) / (acc_en - "
        "chance), the share of English's gain over chance kept zero-shot; shown where English is "
        'significantly above chance, else "-".',
        "",
    ]
    for task, by_condition in cells.items():
        lines += _task_tables(task, by_condition)
    return lines


def _task_tables(task: str, by_condition: dict[str, dict[str, TransferCell]]) -> list[str]:
    first = next(iter(by_condition.values()))
    langs = list(first)
    others = [lang for lang in langs if lang != "en"]
    chance = next(iter(first.values())).chance
    above = [
        [condition, *[_above_cell(by_lang[lang]) for lang in langs]]
        for condition, by_lang in by_condition.items()
    ]
    ratios = [
        [condition, *[_ratio_cell(transfer_ratio(by_lang, lang)) for lang in others]]
        for condition, by_lang in by_condition.items()
    ]
    return [
        f"### {task}: clean accuracy above chance (pp, chance {100 * chance:.1f}%)",
        "",
        *table(["condition", *langs], above),
        "",
        f"### {task}: transfer ratio",
        "",
        *table(["condition", *others], ratios),
        "",
    ]


def _above_cell(cell: TransferCell) -> str:
    return f"{100 * cell.margin:+.1f} ({'yes' if cell.above else 'no'})"


def _ratio_cell(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}"
