"""What the report says about tagging targets (UD-POS, WikiANN NER), and how their paired
statistics are kept apart from the classification targets'.

A tagging target's scores are per word (word accuracy) or per entity (entity F1), but its paired
statistics need one independent 0/1 outcome per example, which the words of one sentence are
not: they compare sentence exact match (every tag of the sentence right; see
`xstilts.evaluate.tagging`). That is a different, much stricter outcome than a classification
example's correctness, so tagging targets do not join the primary comparisons, the answer's
count of wins and losses or the exploratory family of the classification targets. Their
comparisons are reported per task in a table of their own, Holm-corrected within it.
"""

from __future__ import annotations

from xstilts.report.robustness import Runs
from xstilts.report.scores import attacks_not_run, attacks_run, is_tagging, metric_label


def tagging_tasks(runs: Runs) -> list[str]:
    """The target tasks whose runs are tagging runs, in the runs' order."""
    return [
        task
        for task, by_condition in runs.items()
        if is_tagging(next(iter(by_condition.values()))[0])
    ]


def tagging_lines(runs: Runs) -> list[str]:
    """The report's paragraph on what a tagging target's numbers are; nothing without one."""
    tasks = tagging_tasks(runs)
    if not tasks:
        return []
    firsts = {task: next(iter(runs[task].values()))[0] for task in tasks}
    return [
        "## Tagging targets: what their numbers are",
        "",
        *[_task_line(task, metrics) for task, metrics in firsts.items()],
        "",
        "Their clean scores and their drops under perturbation (on each perturbed sentence's own "
        "gold tags) are in that metric, against each language's no-skill level (the share of "
        "its most frequent tag for word accuracy, 0 for entity F1). Their paired statistics "
        "compare one 0/1 outcome per sentence, sentence exact match (every tag right), because "
        "the words of one sentence are not independent; exact match is tabled next to the clean "
        "scores. Being a different outcome from a classification example's, it is compared per "
        "task in its own table (own Holm correction), not pooled with the classification "
        f"targets or counted in the answer.{_attacks_clause(list(firsts.values()))}",
        "",
    ]


def _attacks_clause(runs: list[dict]) -> str:
    """What the tagging targets' attacks are: not run (with the reason), or run and read like
    their perturbations."""
    skipped = sorted({reason for m in runs for reason in attacks_not_run(m).values()})
    if skipped:
        return (
            f" The adversarial attacks were not run on them ({'; '.join(skipped)}): they have no "
            "attack numbers and are not in the primary comparisons."
        )
    if any(attacks_run(m) for m in runs):
        return (
            " Under attack, their score is in that metric too (success: an attacked sentence "
            "whose score fell), and their comparisons under attack are on exact match in their "
            "own table, not in the primary comparisons."
        )
    return ""


def _task_line(task: str, metrics: dict) -> str:
    """One line: the task and its metric; UD-POS also points to XTREME's POS F1."""
    if metric_label(metrics) == "entity F1":
        what = "entity F1 (entity-level micro F1, as seqeval computes it)"
    else:
        what = "word accuracy (share of test words tagged right)"
    if "pos_f1" in metrics:
        what += (
            "; the metrics files also hold `pos_f1`, the seqeval F1 XTREME reports for POS, "
            "for comparison with published numbers"
        )
    return f"- {task}: {what}."
