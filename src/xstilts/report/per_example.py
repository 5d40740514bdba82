"""The tidy per-example table the statistics read, built from the evaluate stage's files.

One row per (condition, task, seed, language, variant, example): `clean` rows from the clean
predictions, one variant per perturbation family and strength (`keyboard@0.1`) holding only the
examples whose perturbation the tokenizer actually sees (an erased perturbation is clean input,
never a robustness win), and `attack:<name>` rows from the attack manifests, except those of a
language the attack does not apply to (flagged `not_applicable`: nothing was attacked there).

`correct` is `pred == gold`: for a classification target, the example's class; for a tagging
target, whose rows hold tag lists, sentence exact match (every tag right, against the perturbed
sentence's own gold tags under a perturbation). That is the one 0/1 outcome per example the
paired statistics need: the words of one sentence are not independent trials. For a span-QA
target it is the answer's F1 (rows with an `f1`), a score in [0, 1]: the statistics' bootstrap
and sign-flip test take it as it is.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from xstilts import paths
from xstilts.config import Params
from xstilts.errors import XstiltsError
from xstilts.io import read_jsonl

COLUMNS = ["condition", "task", "seed", "language", "variant", "example_id", "correct"]


def run_rows(root: Path, condition: str, task: str, seed: int) -> list[tuple]:
    key = (condition, task, seed)
    rows = [
        (*key, r["lang"], "clean", r["id"], outcome(r))
        for r in read_jsonl(listed_run(root / paths.eval_predictions(*key)))
    ]
    rows += [
        (*key, r["lang"], r["variant"], r["id"], outcome(r))
        for r in read_jsonl(listed_run(root / paths.robust_predictions(*key)))
        if r["effective"] and not r.get("not_applicable", False)
    ]
    rows += [
        (*key, r["lang"], f"attack:{r['attack']}", r["id"], r["f1"] if "f1" in r else r["correct"])
        for r in read_jsonl(listed_run(root / paths.attack_manifest(*key)))
        if not r.get("not_applicable", False)
    ]
    return rows


def outcome(row: dict) -> float | bool:
    """A prediction row's per-example outcome: its answer F1 (span QA), else pred == gold."""
    return row["f1"] if "f1" in row else row["pred"] == row["gold"]


def load_frame(params: Params, root: Path) -> pd.DataFrame:
    """Every run params lists (never a glob of the output folders)."""
    rows = [
        row
        for task in params.targets
        for condition in params.conditions_for(task)
        for seed in params.seeds
        for row in run_rows(root, condition, task, seed)
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["correct"] = frame["correct"].astype(float)
    return frame


def listed_run(path: Path) -> Path:
    """`path`, a file of a run params lists; a missing one is an error naming it (never a gap
    in a table)."""
    if not path.exists():
        raise XstiltsError(f"{path} is missing: params lists this run; run `dvc repro` first")
    return path
