"""The run's headline numbers for one task, read from the evaluation metrics files.

The demo shows what the report shows: the clean score (English and the zero-shot mean) per
condition, and every robustness number the evaluation stage wrote (keys such as `perturbed` or
`attack`, whatever their nesting), as mean ± standard deviation over seeds. Per-language detail
is left to the report. When a params file is given, the runs are the ones it lists (as in the
report); otherwise every `seed*.json` found.

The score is the task's metric, read as the report reads it (`xstilts.report.scores`):
accuracy, or a tagging target's word accuracy or entity F1; each row and the note name it. An
attack the evaluation did not run on the task (marked `not_run`) has no rows: the note names it
with the reason.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from xstilts.report.scores import attacks_not_run, clean_scores, metric_label, value_key

# What the evaluate stage writes under `perturbations` (per variant "family@strength") and
# `attacks` (per attack name), each with a zero-shot mean; the headline shows these leaves. The
# report's drop is the one on effective inputs (those the tokenizer sees changed); a mean that is
# undefined (no effective input in any zero-shot language) is null: its row shows "–", and a
# value defined in only some seeds says over how many it is.
PERTURBATION_KEYS = (
    ("accuracy", "accuracy"),
    ("drop_effective", "drop on effective inputs"),
    ("drop", "drop on all inputs"),
    ("effective_rate", "effective"),
)
ATTACK_KEYS = (
    ("accuracy", "accuracy under attack"),
    ("success_rate", "success rate"),
    ("mean_queries", "mean queries"),
)
CLEAN_KEYS = {
    "condition",
    "task",
    "seed",
    "metric",
    "accuracy",
    "f1",
    "mean",
    "chance",
    "examples",
    "trials",
    "eval_splits",
}
COUNT_WORDS = frozenset({"queries", "units", "count", "examples", "n", "size", "steps", "edits"})
MAX_ROWS = 60
# a task or condition name ("multi+rsda" included): a single path part, no dots or separators
NAME = re.compile(r"[a-z][a-z0-9_+]{0,39}")


def read_runs(
    metrics_dir: Path, task: str, conditions: list[str] | None, seeds: list[int] | None
) -> dict[str, list[dict[str, Any]]]:
    """condition -> metrics of each seed found (unreadable files are skipped, not fatal).

    Task and condition names become path parts, so each must be a plain name: no separator, no
    `..`, nothing absolute. Whatever a caller passes, no file outside `<metrics>/evaluate` is
    read."""
    base = Path(metrics_dir) / "evaluate"
    if not NAME.fullmatch(str(task)):
        raise ValueError(f"not a task name: {str(task)[:40]!r}")
    names = (
        conditions
        if conditions is not None
        else sorted(p.name for p in base.glob("*") if (p / task).is_dir())
    )
    runs: dict[str, list[dict[str, Any]]] = {}
    for condition in (str(n) for n in names if NAME.fullmatch(str(n))):
        folder = base / condition / task
        files = (
            [folder / f"seed{s}.json" for s in seeds]
            if seeds is not None
            else sorted(folder.glob("seed*.json"))
        )
        loaded = []
        for file in files:
            try:
                loaded.append(json.loads(file.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        if loaded:
            runs[condition] = loaded
    return runs


def _leaves(value: Any, path: tuple[str, ...], languages: set[str]) -> Iterator[tuple[str, float]]:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield " · ".join(path), float(value)
    elif isinstance(value, dict):
        for key, child in value.items():
            if str(key) in languages:
                continue  # per-language detail lives in the report
            yield from _leaves(child, (*path, str(key)), languages)


def metric_values(run: dict[str, Any]) -> dict[str, float | None]:
    """The headline numbers of one run: the clean score in the run's metric, then every
    robustness leaf (None where the metrics file says the value is undefined)."""
    scores = _clean_scores(run)
    label = _label(run)
    languages = set(scores)
    values: dict[str, float | None] = {}
    if isinstance(scores.get("en"), int | float):
        values[f"clean {label} · en"] = float(scores["en"])
    if isinstance(run.get("mean_zero_shot"), int | float):
        values[f"clean {label} · zero-shot mean"] = float(run["mean_zero_shot"])
    if isinstance(run.get("dev_en"), int | float):
        values[f"clean {label} · en dev"] = float(run["dev_en"])
    values |= _summary_leaves(run.get("perturbations"), "perturbed", _perturbation_keys(run))
    values |= _summary_leaves(run.get("attacks"), "attack", _attack_keys(run))
    for key, value in run.items():
        if key in CLEAN_KEYS or key in ("mean_zero_shot", "dev_en", "perturbations", "attacks"):
            continue
        for name, number in _leaves(value, (key,), languages):
            values[name] = number
    return values


def _clean_scores(run: dict[str, Any]) -> dict[str, Any]:
    """The run's clean scores per language; empty for a file of another shape."""
    try:
        scores = clean_scores(run)
    except (KeyError, TypeError):
        return {}
    return scores if isinstance(scores, dict) else {}


def _label(run: dict[str, Any]) -> str:
    """The run's metric in words ("accuracy", "word accuracy", "entity F1")."""
    try:
        return metric_label(run)
    except (KeyError, TypeError, AttributeError):
        return "accuracy"


def _perturbation_keys(run: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """PERTURBATION_KEYS as this run's metrics name them, the score labelled by its metric."""
    label = _label(run)
    return tuple(
        (value_key(run, key), label if key == "accuracy" else name)
        for key, name in PERTURBATION_KEYS
    )


def _attack_keys(run: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """ATTACK_KEYS as this run's metrics name them, the score labelled by its metric."""
    label = _label(run)
    return tuple(
        (value_key(run, key), f"{label} under attack" if key == "accuracy" else name)
        for key, name in ATTACK_KEYS
    )


def skipped_attacks(runs: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """Attack name -> why it was not run, over every run read."""
    found: dict[str, str] = {}
    for run in (r for rs in runs.values() for r in rs):
        if isinstance(run.get("attacks"), dict):
            found |= attacks_not_run(run)
    return found


def _summary_leaves(
    section: Any, prefix: str, keys: tuple[tuple[str, str], ...]
) -> dict[str, float | None]:
    """`<prefix> <variant> · <what> (zero-shot)` from {variant: {"mean_zero_shot": {...}}};
    a key present as null is kept as None (undefined), an absent one is left out."""
    values: dict[str, float | None] = {}
    if not isinstance(section, dict):
        return values
    for variant, summary in section.items():
        means = summary.get("mean_zero_shot") if isinstance(summary, dict) else None
        if not isinstance(means, dict):
            continue
        for key, label in keys:
            number = means.get(key)
            name = f"{prefix} {variant} · {label} (zero-shot)"
            if number is None and key in means:
                values[name] = None
            elif isinstance(number, int | float) and not isinstance(number, bool):
                values[name] = float(number)
    return values


def _format(name: str, values: list[float]) -> str:
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if len(values) > 1 else None
    words = set(re.split(r"[^a-z]+", name.split(" · ")[-1].lower()))
    is_count = bool(words & COUNT_WORDS) or not -1.0 <= mean <= 1.0  # else a fraction: in %
    scale, digits = (1, 1) if is_count else (100, 1)
    text = f"{scale * mean:.{digits}f}"
    return text + (f" ± {scale * std:.{digits}f}" if std is not None else "")


def headline_table(
    metrics_dir: Path,
    task: str,
    conditions: list[str] | None = None,
    seeds: list[int] | None = None,
) -> tuple[list[str], list[list[str]], str]:
    """(header, rows, note): metric rows x condition columns, fractions shown as %."""
    runs = read_runs(metrics_dir, task, conditions, seeds)
    if not runs:
        return (
            ["metric"],
            [],
            f"No evaluation metrics for {task} under {metrics_dir}/evaluate yet: run the "
            "pipeline (`make repro`) or pass --metrics DIR.",
        )
    per_condition = {c: [metric_values(r) for r in rs] for c, rs in runs.items()}
    names: list[str] = []
    for runs_values in per_condition.values():
        for values in runs_values:
            names += [n for n in values if n not in names]
    names = names[:MAX_ROWS]
    rows = []
    for name in names:
        row = [name]
        for runs_values in per_condition.values():
            found = [v[name] for v in runs_values if v.get(name) is not None]
            cell = _format(name, found) if found else "–"
            if found and len(found) < len(runs_values):
                cell += f" ({len(found)} of {len(runs_values)} seeds)"
            row.append(cell)
        rows.append(row)
    seeds_seen = sorted({len(rs) for rs in runs.values()})
    robust = [n for n in names if not n.startswith("clean ")]
    first = next(iter(runs.values()))[0]
    note = (
        f"{task}: mean over {'/'.join(map(str, seeds_seen))} seed(s) per condition, "
        + ("accuracies in %" if _label(first) == "accuracy" else f"{_label(first)} in %")
        + (
            ""
            if robust
            else "; no robustness numbers in the metrics files yet (the evaluation stage adds them)"
        )
        + _not_run_note(skipped_attacks(runs))
    )
    header = ["metric", *per_condition]
    return header, rows, _clean(note)


def _not_run_note(skipped: dict[str, str]) -> str:
    """One clause naming the attacks not run and why; empty when every attack ran."""
    if not skipped:
        return ""
    reasons = "; ".join(sorted(set(skipped.values())))
    return f"; attacks not run on this task: {', '.join(skipped)} ({reasons})"


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
