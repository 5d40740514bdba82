"""One target checkpoint, zero-shot, in every language of its task.

1. Clean accuracy on the whole test split of each language.
2. Accuracy under every perturbation variant of the shared perturbed test set (the first
   `robustness.max_examples` per language), with the effective-perturbation check.
3. Accuracy under every attack of the profile (the first `robustness.attack_examples`).

Returns the metrics and the per-example rows for the paired statistics: clean predictions
(id, lang, gold, pred, probs), perturbed predictions (id, lang, variant, pred, effective...) and
the attack manifest (outcome, queries, edits, adversarial texts). Probabilities are rounded so
files are stable byte for byte. The `evaluate` stage writes them.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xstilts.attack import AttackBudget, Attacker, BatchPredictor
from xstilts.config import Params
from xstilts.data.prepared import read_split, target_languages
from xstilts.evaluate.perturbed_set import family_resources, read_perturbed_set
from xstilts.evaluate.under_attack import run_attack, summarize_attack
from xstilts.evaluate.under_perturbation import evaluate_perturbations, model_inputs
from xstilts.examples import Example
from xstilts.io import read_json
from xstilts.modeling.model import MultiTaskModel, load_checkpoint
from xstilts.modeling.predict import accuracy
from xstilts.perturb import build_families
from xstilts.tasks import get_task


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


@dataclass(frozen=True)
class RobustnessResults:
    """Accuracy under perturbation and under attack: per-example rows and metrics."""

    perturbed_rows: list[dict[str, Any]]
    perturbations: dict[str, Any]
    attack_rows: list[dict[str, Any]]
    attacks: dict[str, Any]


def evaluate_robustness(
    ev: Evaluation,
    clean: dict[tuple[str, str], Example],
    records: list[dict[str, Any]],
    perturbed_set: list[dict[str, Any]],
    lexicons: Path,
    seed: int,
) -> RobustnessResults:
    """The perturbed set's variants, then every attack, against the clean predictions."""
    clean_pred = {(r["lang"], r["id"]): r["pred"] for r in records}
    rows, perturbations = evaluate_perturbations(
        read_perturbed_set(perturbed_set, clean),
        ev.predict,
        model_inputs(ev.tokenizer, ev.max_length),
        clean_pred,
    )
    attack_rows, attacks = evaluate_attacks(ev, ev.params, clean, clean_pred, seed, lexicons)
    return RobustnessResults(rows, perturbations, attack_rows, attacks)


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
