"""The `report` stage: tables of condition x task x language, from the runs listed in params.

The list of runs comes from params (never a glob of the output folders, which may hold stale
runs from a larger grid). Cells are mean ± standard deviation over seeds.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from xstilts import paths
from xstilts.config import Params
from xstilts.data.prepared import target_languages
from xstilts.errors import XstiltsError
from xstilts.io import atomic_file, read_json, write_json
from xstilts.modeling.model import read_meta


def _mean_std(values: list[float]) -> tuple[float, float]:
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.fmean(values), std


def _cell(values: list[float]) -> str:
    mean, std = _mean_std(values)
    return f"{100 * mean:.1f}" + (f" ± {100 * std:.1f}" if len(values) > 1 else "")


def collect(params: Params, root: Path) -> dict[str, dict[str, list[dict]]]:
    """task -> condition -> one metrics dict per seed."""
    runs: dict[str, dict[str, list[dict]]] = {}
    for task in params.targets:
        for condition in params.condition_names:
            runs.setdefault(task, {})[condition] = [
                _read_run(root / paths.eval_metrics(condition, task, seed)) for seed in params.seeds
            ]
    return runs


def _read_run(path: Path) -> dict:
    if not path.exists():
        raise XstiltsError(f"{path} is missing: params lists this run; run `dvc repro` first")
    return read_json(path)


def summarize(params: Params, runs: dict[str, dict[str, list[dict]]]) -> dict:
    summary: dict = {}
    for task, by_condition in runs.items():
        for condition, seeds in by_condition.items():
            entry = {
                lang: _mean_std([m["accuracy"][lang] for m in seeds])[0]
                for lang in target_languages(params, task)
            }
            entry["dev_en"] = _mean_std([m["dev_en"] for m in seeds])[0]
            zero_shot = [m["mean_zero_shot"] for m in seeds if m["mean_zero_shot"] is not None]
            if zero_shot:
                entry["mean_zero_shot"] = _mean_std(zero_shot)[0]
            summary.setdefault(task, {})[condition] = entry
    return summary


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def target_tables(params: Params, runs: dict[str, dict[str, list[dict]]]) -> list[str]:
    lines = []
    for task, by_condition in runs.items():
        langs = list(target_languages(params, task))
        chance = next(iter(by_condition.values()))[0]["chance"]
        lines += [
            f"### {task} (accuracy %, chance {100 * chance:.1f})",
            "",
            *_table(
                ["condition", "en dev", *langs, "zero-shot mean"],
                [
                    [
                        condition,
                        _cell([m["dev_en"] for m in seeds]),
                        *[_cell([m["accuracy"][lang] for m in seeds]) for lang in langs],
                        _cell([m["mean_zero_shot"] for m in seeds])
                        if seeds[0]["mean_zero_shot"] is not None
                        else "-",
                    ]
                    for condition, seeds in by_condition.items()
                ],
            ),
            "",
        ]
    return lines


def intermediate_table(params: Params, root: Path) -> list[str]:
    rows = []
    for condition, tasks in params.conditions.items():
        if not tasks:
            continue
        metas = [read_meta(root / paths.intermediate_dir(condition, s)) for s in params.seeds]
        for task in tasks:
            stuck = sum(task in m.get("at_chance", []) for m in metas)
            flag = f" (at chance in {stuck}/{len(metas)} seeds)" if stuck else ""
            rows.append([condition, task, _cell([m["dev"][task] for m in metas]) + flag])
    return _table(["condition", "task", "English dev accuracy %"], rows)


def write_report(params: Params, root: Path, report_path: Path, summary_path: Path) -> dict:
    runs = collect(params, root)
    summary = summarize(params, runs)
    text = [
        "# X-STILTs robustness artifact: results",
        "",
        f"Profile: **{params.profile}**; seeds: {', '.join(map(str, params.seeds))}; "
        f"conditions: {', '.join(params.condition_names)}.",
        "Cells are accuracy in %, mean ± std over seeds. Models are trained and selected on "
        "English only; every other language is zero-shot.",
        "",
        "## Intermediate tasks (English dev)",
        "",
        *intermediate_table(params, root),
        "",
        "## Target tasks: zero-shot accuracy by language",
        "",
        *target_tables(params, runs),
    ]
    with atomic_file(report_path) as tmp:
        tmp.write_text("\n".join(text), encoding="utf-8")
    write_json(summary_path, summary)
    return summary
