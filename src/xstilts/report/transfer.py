"""How far zero-shot transfer is above chance, per target task, condition and language.

The report says this before it discusses robustness: a model at chance in a language has no
score to lose there, so its drop under a perturbation is noise. A (task, condition, language)
whose clean test score is not significantly above chance is therefore uninformative for
robustness: marked in the robustness tables and left out of the pooled comparisons
(`at_chance`).

The test depends on the metric (`xstilts.report.scores`):

- accuracy (classification targets; word accuracy of a tagging target): one-sided exact binomial
  test of the number right against the chance level, on the language's test examples (words for
  a tagging target, whose chance level is the language's most frequent tag's share);
- entity F1: no binomial null exists (F1 is not a share of independent trials) and its no-skill
  level is 0, which any correct entity exceeds; a language counts as above no-skill when its F1
  is above 0, with no p-value.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from xstilts.report.markdown import table
from xstilts.report.scores import chance_level, clean_scores, metric, metric_label, trials
from xstilts.stats import above_chance_p

Runs = dict[str, dict[str, list[dict]]]  # task -> condition -> metrics per seed
AtChance = dict[str, dict[str, list[str]]]  # task -> condition -> languages at chance


@dataclass(frozen=True)
class TransferCell:
    """Clean test score of one (task, condition, language), tested against its chance level.

    `score` is the mean over seeds in the run's metric (`label` names it) and `n` the trials
    (test examples, or words / gold entities of a tagging target) summed over seeds; `above` is
    p_value <= alpha, or, where there is no binomial test (`p_value` None: entity F1, or a
    degenerate chance level of 0 or 1), score > chance.
    """

    score: float
    n: int
    chance: float
    p_value: float | None
    above: bool
    label: str = "accuracy"  # what the score measures (`xstilts.report.scores.metric_label`)

    @property
    def margin(self) -> float:
        return self.score - self.chance


def transfer_cell(seeds: list[dict], lang: str, alpha: float) -> TransferCell:
    """The cell of `lang` from one metrics dict per seed (see `xstilts.report.scores`)."""
    score = statistics.fmean(clean_scores(m)[lang] for m in seeds)
    n = sum(trials(m, lang) for m in seeds)
    chance, label = chance_level(seeds[0], lang), metric_label(seeds[0])
    if metric(seeds[0]) != "accuracy" or not 0.0 < chance < 1.0:
        return TransferCell(score, n, chance, None, score > chance, label)
    p_value = above_chance_p(score, n, chance)
    return TransferCell(score, n, chance, p_value, p_value <= alpha, label)


def transfer_cells(runs: Runs, alpha: float) -> dict[str, dict[str, dict[str, TransferCell]]]:
    """task -> condition -> language -> cell, languages in the metrics' order."""
    return {
        task: {
            condition: {lang: transfer_cell(seeds, lang, alpha) for lang in clean_scores(seeds[0])}
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
    """(score_lang - chance_lang) / (score_en - chance_en), each language against its own
    no-skill level; None unless English is above chance."""
    english = by_lang.get("en")
    if english is None or not english.above:
        return None
    return by_lang[lang].margin / english.margin


def transfer_section(
    cells: dict[str, dict[str, dict[str, TransferCell]]], alpha: float, seeds: int
) -> list[str]:
    """The report section: per task, the clean score above chance and the transfer ratio."""
    pooled = (
        f" With {seeds} seeds the test uses the seed-mean score and the trials summed over "
        "seeds; the seeds share their examples, so this overstates n and is lenient: it marks "
        "fewer cells as at chance."
        if seeds > 1
        else ""
    )
    lines = [
        "## Zero-shot transfer above chance",
        "",
        "Clean test score minus chance, in percentage points (accuracy for classification "
        "targets; each table names its metric); yes/no: significantly above chance (one-sided "
        "exact binomial test against the chance level on the language's test examples, "
        f"alpha = {alpha}, each cell on its own).{pooled} A cell that is not above chance is "
        "uninformative for robustness: a model at chance has no score to lose, so its drop "
        "under a perturbation is noise. Such cells are marked in the robustness tables and left "
        "out of the pooled comparisons. Transfer ratio: (score_xx - chance_xx) / (score_en - "
        "chance_en), the share of English's gain over chance kept zero-shot; shown where "
        'English is significantly above chance, else "-".',
        "",
    ]
    labels = {next(iter(next(iter(c.values())).values())).label for c in cells.values()}
    if labels & {"word accuracy", "entity F1"}:
        lines += [TAGGING_TEST, ""]
    if "answer F1" in labels:
        lines += [SPAN_TEST, ""]
    for task, by_condition in cells.items():
        lines += _task_tables(task, by_condition)
    return lines


TAGGING_TEST = (
    "Tagging targets: chance is each language's no-skill level (row `no-skill level`): the "
    "share of its most frequent tag for word accuracy (a tagger that always says NOUN), 0 for "
    "entity F1 (a tagger that never finds an entity). Word accuracy is tested as above with the "
    "language's test words as trials; the words of one sentence are not independent, so this "
    "overstates n and is lenient. Entity F1 is not a share of independent trials and has no "
    "binomial test: a language counts as above no-skill (yes) when its F1 is above 0, i.e. the "
    "model finds some entity right there, and no p-value is computed."
)


SPAN_TEST = (
    "Question-answering targets: the no-skill level of answer F1 is 0 (a model that returns "
    "nothing); F1 is not a share of independent trials, so there is no binomial test: a "
    "language counts as above no-skill (yes) when its F1 is above 0, which is lenient (an "
    "answer of the right kind from the wrong sentence already scores some F1)."
)


def _tagging(by_condition: dict[str, dict[str, TransferCell]]) -> bool:
    """Whether the task's cells are a tagging target's (word accuracy or entity F1)."""
    first = next(iter(next(iter(by_condition.values())).values()))
    return first.label != "accuracy"


def _task_tables(task: str, by_condition: dict[str, dict[str, TransferCell]]) -> list[str]:
    first = next(iter(by_condition.values()))
    langs = list(first)
    others = [lang for lang in langs if lang != "en"]
    cell = next(iter(first.values()))
    above = [
        [condition, *[_above_cell(by_lang[lang]) for lang in langs]]
        for condition, by_lang in by_condition.items()
    ]
    ratios = [
        [condition, *[_ratio_cell(transfer_ratio(by_lang, lang)) for lang in others]]
        for condition, by_lang in by_condition.items()
    ]
    if _tagging(by_condition):
        title = f"### {task}: clean {cell.label} above no-skill (pp; no-skill level in %)"
        above.insert(0, ["no-skill level", *[f"{100 * first[lang].chance:.1f}" for lang in langs]])
    else:
        title = f"### {task}: clean accuracy above chance (pp, chance {100 * cell.chance:.1f}%)"
    return [
        title,
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
