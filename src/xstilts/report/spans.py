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

from xstilts.report.robustness import Runs
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
    ]
