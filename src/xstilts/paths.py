"""Where every stage reads and writes: one place, used by the stages, dvc.yaml's templates
(kept in sync by a test), the report and the app."""

from __future__ import annotations

from pathlib import Path

PREPARED = Path("prepared")
PRETRAINED = Path("pretrained")  # the sample encoder, made by `xstilts pretrain`, tracked by DVC
BASE = Path("models/base")
STATE = Path("state")  # resume state of interrupted runs (not a DVC output)


def intermediate_dir(condition: str, seed: int) -> Path:
    return Path("models/intermediate") / condition / f"seed{seed}"


def target_dir(condition: str, task: str, seed: int) -> Path:
    return Path("models/target") / condition / task / f"seed{seed}"


def eval_metrics(condition: str, task: str, seed: int) -> Path:
    return Path("metrics/evaluate") / condition / task / f"seed{seed}.json"


def eval_predictions(condition: str, task: str, seed: int) -> Path:
    return Path("predictions") / condition / task / f"seed{seed}.jsonl"


def perturbed_set(task: str, seed: int) -> Path:
    return Path("perturbed") / task / f"seed{seed}.jsonl"


def robust_predictions(condition: str, task: str, seed: int) -> Path:
    """Per-example predictions on every perturbed input (and its effective flag)."""
    return Path("predictions") / condition / task / f"seed{seed}.perturbed.jsonl"


def attack_manifest(condition: str, task: str, seed: int) -> Path:
    """Every attacked example: outcome, queries, edits and the adversarial texts."""
    return Path("predictions") / condition / task / f"seed{seed}.attack.jsonl"


RETRIEVAL_SETS = Path("retrieval_sets")  # the retrieval benchmarks' sets (a stage output)


def retrieve_metrics(condition: str, seed: int) -> Path:
    return Path("metrics/retrieve") / condition / f"seed{seed}.json"


def retrieve_rows(condition: str, seed: int) -> Path:
    """Per-query rows of the retrieve stage: clean, perturbed and attacked queries."""
    return Path("predictions") / condition / "retrieval" / f"seed{seed}.jsonl"


LEXICONS = Path("lexicons")  # bilingual lexicons for code-switching (a stage output)
NEIGHBOURS = Path("neighbours")  # word neighbours of RS-DA's training copies (a stage output)


AUGMENTED = Path("augmented")  # RS-DA's training copies, one file per task and seed


def augmented_set(task: str, seed: int) -> Path:
    """RS-DA's training copies of a target's English training split (`xstilts.robust`)."""
    return AUGMENTED / task / f"seed{seed}.jsonl"


REPORT = Path("reports/REPORT.md")
PLOTS = REPORT.parent / "plots"  # the report's figures (PNG) and their data (CSV, `dvc plots`)
DROP_PLOT, DROP_PLOT_DATA = PLOTS / "robustness_drop.png", PLOTS / "robustness_drop.csv"
BUDGET_PLOT, BUDGET_PLOT_DATA = PLOTS / "attack_budget.png", PLOTS / "attack_budget.csv"
SUMMARY = Path("metrics/summary.json")
