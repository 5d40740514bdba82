"""The `evaluate` stage: one target checkpoint, zero-shot, in every language of its task.

1. Clean accuracy on the whole test split of each language.
2. Accuracy under every perturbation variant of the shared perturbed test set (the first
   `robustness.max_examples` per language), with the effective-perturbation check.
3. Accuracy under every attack of the profile (the first `robustness.attack_examples`).

Writes DVC metrics (JSON) and per-example files for the paired statistics: clean predictions
(id, lang, gold, pred, probs), perturbed predictions (id, lang, variant, pred, effective...) and
the attack manifest (outcome, queries, edits, adversarial texts). Probabilities are rounded so
files are stable byte for byte.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xstilts.attack import AttackBudget, Attacker, BatchPredictor
from xstilts.config import Params
from xstilts.data.prepared import read_split, target_languages
from xstilts.examples import Example
from xstilts.io import read_json, read_jsonl, write_json, write_jsonl
from xstilts.modeling.model import MultiTaskModel, load_checkpoint
from xstilts.modeling.predict import accuracy
from xstilts.perturb import build_families
from xstilts.robustness.perturbed_set import read_perturbed_set
from xstilts.robustness.under_attack import run_attack, summarize_attack
from xstilts.robustness.under_perturbation import evaluate_perturbations
from xstilts.stages.perturb import family_resources
from xstilts.tasks import get_task


@dataclass(frozen=True)
class RobustnessPaths:
    """Inputs (perturbed set, lexicons) and outputs (per-example files) of the robustness part."""

    perturbed_set: Path
    lexicons: Path
    predictions: Path
    attacks: Path


class Evaluation:
    """One checkpoint, its tokenizer and the prediction settings of its task."""

    def __init__(self, params: Params, task: str, checkpoint: Path) -> None:
        self.model: MultiTaskModel
        self.model, self.tokenizer, self.meta = load_checkpoint(checkpoint)
        self.params, self.task = params, task
        self.head = get_task(task).head_name
        self.max_length = params.target.training_for(task).max_length_for(task)
        evaluate = params.evaluate
        self.predict = BatchPredictor(
            self.model,
            self.tokenizer,
            self.head,
            self.max_length,
            evaluate.batch_size,
            evaluate.precision,
        )


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
        clean_pred = {(r["lang"], r["id"]): r["pred"] for r in records}
        rows, metrics["perturbations"] = evaluate_perturbations(
            read_perturbed_set(read_jsonl(robustness.perturbed_set), clean),
            ev.predict,
            ev.tokenizer,
            clean_pred,
        )
        attack_rows, metrics["attacks"] = evaluate_attacks(
            ev, params, clean, clean_pred, seed, robustness.lexicons
        )
        write_jsonl(robustness.predictions, rows)
        write_jsonl(robustness.attacks, attack_rows)
    write_jsonl(predictions_path, records)
    write_json(metrics_path, metrics)
    return metrics


def evaluate_clean(
    ev: Evaluation, prepared: Path
) -> tuple[dict[tuple[str, str], Example], list[dict[str, Any]], dict[str, Any]]:
    sources = read_json(prepared / "summary.json")
    clean: dict[tuple[str, str], Example] = {}
    records, scores, sizes, splits, widths = [], {}, {}, {}, set()
    for lang in target_languages(ev.params, ev.task):
        examples = read_split(prepared, ev.task, "test", lang)
        probs = ev.predict(examples)
        scores[lang] = accuracy(probs, [e.label for e in examples])
        sizes[lang] = len(examples)
        widths.add(probs.shape[1])
        splits[lang] = sources[f"{ev.task}/test.{lang}.jsonl"]["source"]
        clean.update(((lang, e.id), e) for e in examples)
        records += [
            {
                "id": e.id,
                "lang": lang,
                "gold": e.label,
                "pred": int(p.argmax()),
                "probs": [round(float(x), 6) for x in p],
            }
            for e, p in zip(examples, probs, strict=True)
        ]
    zero_shot = [score for lang, score in scores.items() if lang != "en"]
    metrics = {
        "dev_en": ev.meta["dev_mean"],
        "accuracy": scores,
        "mean": statistics.fmean(scores.values()),
        "chance": 1 / max(widths),
        "mean_zero_shot": statistics.fmean(zero_shot) if zero_shot else None,
        "examples": sizes,
        "eval_splits": splits,
    }
    return clean, records, metrics


def evaluate_attacks(
    ev: Evaluation,
    params: Params,
    clean: dict[tuple[str, str], Example],
    clean_pred: dict[tuple[str, str], int],
    seed: int,
    lexicons: Path,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    robustness = params.robustness
    examples = attack_examples(params, ev.task, clean)
    resources = family_resources(params, lexicons, ev.tokenizer)
    rows, metrics = [], {}
    for name, config in robustness.attacks.items():
        families = build_families(config.families, resources)
        attacker = Attacker(ev.model, ev.tokenizer, ev.head, families, predict_fn=ev.predict)
        budget = AttackBudget(
            config.max_unit_fraction,
            config.max_queries,
            config.beam_width,
            config.candidates_per_unit,
        )
        attack_rows = run_attack(name, attacker, budget, examples, clean_pred, seed)
        metrics[name] = summarize_attack(attack_rows, robustness.budget_curve)
        rows += attack_rows
    return rows, metrics


def attack_examples(
    params: Params, task: str, clean: dict[tuple[str, str], Example]
) -> list[Example]:
    """The first `attack_examples` of the perturbation subsample (the first `max_examples`)
    in each language."""
    robustness = params.robustness
    by_lang: dict[str, list[Example]] = {}
    for (lang, _), example in clean.items():
        by_lang.setdefault(lang, []).append(example)
    return [
        example
        for lang in target_languages(params, task)
        for example in by_lang.get(lang, [])[: robustness.max_examples][
            : robustness.attack_examples
        ]
    ]
