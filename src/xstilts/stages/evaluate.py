"""The `evaluate` stage: one target checkpoint, zero-shot, in every language of its task
(the logic is `xstilts.evaluate.checkpoint`). Writes DVC metrics (JSON) and the per-example files
for the paired statistics: clean predictions, perturbed predictions and the attack manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xstilts.config import Params
from xstilts.evaluate.checkpoint import Evaluation, evaluate_clean, evaluate_robustness
from xstilts.io import read_jsonl, write_json, write_jsonl


@dataclass(frozen=True)
class RobustnessPaths:
    """Inputs (perturbed set, lexicons) and outputs (per-example files) of the robustness part."""

    perturbed_set: Path
    lexicons: Path
    predictions: Path
    attacks: Path


def run_evaluate(
    params: Params,
    condition: str,
    task: str,
    seed: int,
    checkpoint: Path,
    prepared: Path,
    metrics_path: Path,
    predictions_path: Path,
    robustness: RobustnessPaths | None = None,
) -> dict:
    """Clean evaluation always; robustness evaluation when its paths are given."""
    ev = Evaluation(params, task, checkpoint)
    clean, records, metrics = evaluate_clean(ev, prepared)
    metrics = {"condition": condition, "task": task, "seed": seed, **metrics}
    if robustness is not None:
        results = evaluate_robustness(
            ev, clean, records, read_jsonl(robustness.perturbed_set), robustness.lexicons, seed
        )
        metrics["perturbations"] = results.perturbations
        metrics["attacks"] = results.attacks
        if results.generalized:
            metrics["generalized"] = results.generalized
        write_jsonl(robustness.predictions, results.perturbed_rows)
        write_jsonl(robustness.attacks, results.attack_rows)
    write_jsonl(predictions_path, records)
    write_json(metrics_path, metrics)
    return metrics
