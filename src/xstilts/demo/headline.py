"""The run's headline numbers for one task, read from the evaluation metrics files.

The demo shows what the report shows: clean accuracy (English and the zero-shot mean) per
condition, and every robustness number the evaluation stage wrote (keys such as `perturbed` or
`attack`, whatever their nesting), as mean ± standard deviation over seeds. Per-language detail
is left to the report. When a params file is given, the runs are the ones it lists (as in the
report); otherwise every `seed*.json` found.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
CLEAN_KEYS = {"condition", "task", "seed", "accuracy", "mean", "chance", "examples", "eval_splits"}
COUNT_WORDS = frozenset({"queries", "units", "count", "examples", "n", "size", "steps", "edits"})
MAX_ROWS = 60
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")  # a task or condition name: a single path part


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
    """The headline numbers of one run: clean accuracy, then every robustness leaf (None where
    the metrics file says the value is undefined)."""
    accuracy = run.get("accuracy") if isinstance(run.get("accuracy"), dict) else {}
    languages = set(accuracy)
    values: dict[str, float | None] = {}
    if isinstance(accuracy.get("en"), int | float):
        values["clean accuracy · en"] = float(accuracy["en"])
    if isinstance(run.get("mean_zero_shot"), int | float):
        values["clean accuracy · zero-shot mean"] = float(run["mean_zero_shot"])
    if isinstance(run.get("dev_en"), int | float):
        values["clean accuracy · en dev"] = float(run["dev_en"])
    values |= _summary_leaves(run.get("perturbations"), "perturbed", PERTURBATION_KEYS)
    values |= _summary_leaves(run.get("attacks"), "attack", ATTACK_KEYS)
    for key, value in run.items():
        if key in CLEAN_KEYS or key in ("mean_zero_shot", "dev_en", "perturbations", "attacks"):
            continue
        for name, number in _leaves(value, (key,), languages):
            values[name] = number
    return values


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
    robust = [n for n in names if not n.startswith("clean accuracy")]
    note = (
        f"{task}: mean over {'/'.join(map(str, seeds_seen))} seed(s) per condition, "
        "accuracies in %"
        + (
            ""
            if robust
            else "; no robustness numbers in the metrics files yet (the evaluation stage adds them)"
        )
    )
    header = ["metric", *per_condition]
    return header, rows, _clean(note)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
