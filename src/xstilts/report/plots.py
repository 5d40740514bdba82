"""Report plots, as PNG for REPORT.md and as CSV data that `dvc plots` renders.

- robustness drop by condition and language (mean drop of the task's metric over the
  perturbation families, effective examples only: accuracy, or a tagging target's word accuracy
  or entity F1, named in the `metric` column and on each panel; a family with no effective
  example in a language has no drop there and is left out, and a language where no family was
  effective has no bar);
- accuracy under attack against the attack's edit budget (zero-shot mean), per condition. The
  curve is read off one attack run at the attack's configured budget: exact for greedy search
  (beam width 1), an upper bound on accuracy at the smaller budgets for beam search (see
  `xstilts.evaluate.under_attack`); each panel and CSV row names its search and the metric
  (the `accuracy` column holds a tagging target's word accuracy or entity F1). An attack not run
  on a task has no curve.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from xstilts import paths
from xstilts.io import atomic_file
from xstilts.report.robustness import Runs, mean_defined
from xstilts.report.scores import attacks_run, metric_label, value_key

DROP_CSV, BUDGET_CSV = paths.DROP_PLOT_DATA.name, paths.BUDGET_PLOT_DATA.name
DROP_PNG, BUDGET_PNG = paths.DROP_PLOT.name, paths.BUDGET_PLOT.name


def drop_rows(runs: Runs) -> list[dict]:
    """Mean effective-only drop over the families per (task, condition, language), mean over
    seeds; undefined drops are left out, and a cell with none defined has no row."""
    rows = []
    for task, by_condition in runs.items():
        for condition, seeds in by_condition.items():
            languages = next(iter(seeds[0]["perturbations"].values()))["languages"]
            for lang in languages:
                drop = mean_defined(
                    mean_defined(
                        v["languages"].get(lang, {}).get("drop_effective")
                        for v in m["perturbations"].values()
                    )
                    for m in seeds
                )
                if drop is None:
                    continue
                rows.append(
                    {
                        "task": task,
                        "condition": condition,
                        "language": lang,
                        "drop_pp": round(100 * drop, 2),
                        "metric": metric_label(seeds[0]),
                    }
                )
    return rows


def search_label(beam_width: int) -> str:
    """How the accuracy-vs-budget curve of an attack with this beam width reads."""
    if beam_width == 1:
        return "greedy: exact"
    return f"beam {beam_width}: upper bound"


def budget_rows(runs: Runs, beam_widths: Mapping[str, int]) -> list[dict]:
    """Accuracy under each attack at each budget (zero-shot mean); budget 0 is clean accuracy.

    `beam_widths` (attack name -> beam width) names each curve's search in the `search` column.
    """
    rows = []
    for task, by_condition in runs.items():
        for condition, seeds in by_condition.items():
            for attack, metrics in attacks_run(seeds[0]).items():
                first = next(iter(metrics["languages"].values()))
                for budget in ["0", *first[value_key(seeds[0], "accuracy_at_budget")]]:
                    accuracy = mean_defined(
                        mean_defined(
                            _at_budget(m, lang_metrics, budget)
                            for lang, lang_metrics in m["attacks"][attack]["languages"].items()
                            if lang != "en"
                        )
                        for m in seeds
                    )
                    if accuracy is None:
                        continue
                    rows.append(
                        {
                            "task": task,
                            "attack": attack,
                            "condition": condition,
                            "budget": float(budget),
                            "accuracy": round(100 * accuracy, 2),
                            "search": search_label(beam_widths[attack]),
                            "metric": metric_label(seeds[0]),
                        }
                    )
    return rows


def _at_budget(run: dict, metrics: dict, budget: str) -> float | None:
    """The score at `budget` of one language's attack metrics (`run`: the whole metrics file,
    which names the keys: accuracy, or a tagging target's score)."""
    if budget == "0":
        return metrics[value_key(run, "clean_accuracy")]
    return metrics[value_key(run, "accuracy_at_budget")][budget]


def write_csv(path: Path, rows: list[dict]) -> None:
    with atomic_file(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["empty"])
        writer.writeheader()
        writer.writerows(rows)


def plot_drops(rows: list[dict], path: Path) -> None:
    if not rows:
        _save_empty("no perturbation was effective: no drop to plot", path)
        return
    tasks = sorted({r["task"] for r in rows})
    fig, axes = plt.subplots(1, len(tasks), figsize=(5 * len(tasks), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        mine = [r for r in rows if r["task"] == task]
        conditions = list(dict.fromkeys(r["condition"] for r in mine))
        languages = list(dict.fromkeys(r["language"] for r in mine))
        width = 0.8 / len(conditions)
        for i, condition in enumerate(conditions):
            values = {r["language"]: r["drop_pp"] for r in mine if r["condition"] == condition}
            present = [j for j, lang in enumerate(languages) if lang in values]
            xs = [j + i * width for j in present]
            ax.bar(xs, [values[languages[j]] for j in present], width, label=condition)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(languages))], languages)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_title(task)
        ax.set_ylabel(f"{mine[0]['metric']} drop (pp)")
    _legend(fig, axes)
    _save(fig, path)


def _legend(fig: Any, axes: Any) -> None:
    """One legend for the figure, from every subplot's conditions: a condition trained for
    some tasks only (RS-DA's) may be missing from the last subplot."""
    handles: dict[str, Any] = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(list(handles.values()), list(handles), fontsize=7, loc="upper right")


def plot_budget(rows: list[dict], path: Path) -> None:
    if not rows:
        _save_empty("no attack results to plot", path)
        return
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    attacks = list(dict.fromkeys(r["attack"] for r in rows))
    fig, axes = plt.subplots(
        len(tasks), len(attacks), figsize=(4.5 * len(attacks), 3.2 * len(tasks)), squeeze=False
    )
    for row_axes, task in zip(axes, tasks, strict=True):
        for ax, attack in zip(row_axes, attacks, strict=True):
            mine = [r for r in rows if r["task"] == task and r["attack"] == attack]
            for condition in dict.fromkeys(r["condition"] for r in mine):
                points = sorted(
                    (r["budget"], r["accuracy"]) for r in mine if r["condition"] == condition
                )
                ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=condition)
            search = mine[0]["search"] if mine else ""
            ax.set_title(f"{task}: {attack} attack ({search})", fontsize=9)
            ax.set_xlabel("edit budget (fraction of words; 0 = clean)")
            ax.set_ylabel(f"zero-shot {mine[0]['metric'] if mine else 'accuracy'} (%)")
    _legend(fig, axes)
    _save(fig, path)


def _save_empty(message: str, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5, 1.5))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center")
    _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> None:
    fig.tight_layout()
    with atomic_file(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)


def write_plots(runs: Runs, out_dir: Path, beam_widths: Mapping[str, int]) -> list[Path]:
    """The CSVs and PNGs; `beam_widths` (attack name -> beam width) labels the budget curves."""
    drops, budgets = drop_rows(runs), budget_rows(runs, beam_widths)
    write_csv(out_dir / DROP_CSV, drops)
    write_csv(out_dir / BUDGET_CSV, budgets)
    plot_drops(drops, out_dir / DROP_PNG)
    plot_budget(budgets, out_dir / BUDGET_PNG)
    return [out_dir / n for n in (DROP_CSV, BUDGET_CSV, DROP_PNG, BUDGET_PNG)]
