"""What the report says about span-QA targets (XQuAD, MLQA, TyDiQA-GoldP), and how their
paired statistics are kept apart from the classification targets'.

A QA target's score is the answer's F1 against the gold answers (best over them, with the
benchmark's normalisation), a number in [0, 1] per question, and its exact match; its paired
statistics take the per-question F1 as it is: the bootstrap of the mean difference and the
sign-flip test on per-question differences fit a continuous outcome (McNemar's counts do not
apply). An F1 drop is a different outcome from a classification example's correctness, so QA
targets do not join the primary comparisons or the answer's count; their comparisons are
reported per task in a table of their own, Holm-corrected within it.
"""

from __future__ import annotations

from xstilts.report.robustness import Runs, pct, seed_mean
from xstilts.report.scores import is_span


def span_tasks(runs: Runs) -> list[str]:
    """The target tasks whose runs are span-QA runs, in the runs' order."""
    return [
        task for task, by_condition in runs.items() if is_span(next(iter(by_condition.values()))[0])
    ]


def span_lines(runs: Runs) -> list[str]:
    """The report's paragraph on what a QA target's numbers are; nothing without one."""
    tasks = span_tasks(runs)
    if not tasks:
        return []
    normalizations = {task: next(iter(runs[task].values()))[0]["normalization"] for task in tasks}
    listed = ", ".join(
        f"{task} ({norm}'s answer normalisation)" for task, norm in normalizations.items()
    )
    return [
        "## Question-answering targets: what their numbers are",
        "",
        f"QA targets: {listed}. Their score is the F1 of the chosen answer span against the gold "
        "answers (token overlap after the benchmark's normalisation, the best over the gold "
        "answers), averaged over questions; exact match is tabled next to it. The no-skill level "
        "is 0 (a model that returns nothing); a language counts as above it when its F1 is above "
        "0, with no p-value: F1 is not a share of independent trials. That is lenient: an answer "
        'of the right kind from the wrong sentence often shares words with the gold one ("in '
        'the market" for "in the garden" scores 0.5 after SQuAD\'s normalisation drops "the"). '
        "Perturbations and attacks edit the question and the whole context, answers included; "
        "each gold answer becomes the text its characters were edited into (REPRODUCE.md), so a "
        "perturbation does not point at the answer by leaving it as the one clean stretch of a "
        "noisy context. Their paired "
        "statistics compare the "
        "per-question F1 (bootstrap of the mean difference, sign-flip test on per-question "
        "differences), per task in a table of their own with its own Holm correction, not pooled "
        "with the classification targets or counted in the answer.",
        "",
        *[line for task in tasks for line in cross_language_lines(task, runs[task])],
    ]


def cross_language_lines(task: str, by_condition: dict[str, list[dict]]) -> list[str]:
    """A QA target's generalized cross-lingual table (MLQA's G-XLT, `evaluate.cross_language`):
    per condition, the mean F1 of the same-language test sets, of the cross-language pairs, and
    of the pairs by question language (means over seeds); nothing when it was not evaluated."""
    runs = {
        condition: [s["cross_language"] for s in seeds if "cross_language" in s]
        for condition, seeds in by_condition.items()
    }
    runs = {condition: seeds for condition, seeds in runs.items() if seeds}
    if not runs:
        return []
    questions = sorted({q for seeds in runs.values() for s in seeds for q in s["by_question"]})
    header = [
        "condition",
        "same language",
        "cross-language",
        *(f"questions in {q}" for q in questions),
    ]
    lines = [
        f"### {task}: questions and contexts in different languages (answer F1 %)",
        "",
        "Every (context language, question language) pair of the test languages, clean, with "
        "the checkpoint's own windows and answer choice; `same language` is the mean over the "
        "target's own test sets, `cross-language` over the pairs, and each `questions in xx` "
        "column over the pairs whose questions are in xx.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for condition, seeds in runs.items():
        cells = [
            pct(seed_mean(seeds, lambda s: s["same_language_mean_f1"])),
            pct(seed_mean(seeds, lambda s: s["mean_f1"])),
            *(pct(seed_mean(seeds, lambda s, q=q: s["by_question"].get(q))) for q in questions),
        ]
        lines.append(f"| {condition} | " + " | ".join(cells) + " |")
    return [*lines, ""]
