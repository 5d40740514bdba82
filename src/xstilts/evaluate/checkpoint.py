"""One target checkpoint, zero-shot, in every language of its task.

1. Clean accuracy on the whole test split of each language.
2. Accuracy under every perturbation variant of the shared perturbed test set (the first
   `robustness.max_examples` per language), with the effective-perturbation check.
3. Accuracy under every attack of the profile (the first `robustness.attack_examples`).
4. A parallel pair task's generalized pairs (`xstilts.evaluate.generalized`), from the same
   perturbed set, with metrics of their own; a span target's cross-language test sets when
   `evaluate.cross_language` is on (`xstilts.evaluate.cross_language`), clean.

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
from xstilts.attack.spans import SpanAttacker
from xstilts.attack.tagging import TaggingAttacker
from xstilts.config import AttackConfig, Params
from xstilts.data.prepared import cross_language_pairs, read_split, target_languages
from xstilts.evaluate.cross_language import evaluate_cross_language
from xstilts.evaluate.generalized import is_generalized
from xstilts.evaluate.perturbed_set import family_resources, read_perturbed_set
from xstilts.evaluate.span_attack import run_span_attack, summarize_span_attack
from xstilts.evaluate.spans import SpanPredictor, evaluate_span_perturbations, scored_answers
from xstilts.evaluate.spans import clean_records as span_records
from xstilts.evaluate.spans import language_scores as span_language_scores
from xstilts.evaluate.tagging import (
    TagPredictor,
    argmax_tags,
    clean_records,
    evaluate_tag_perturbations,
    language_scores,
)
from xstilts.evaluate.tagging_attack import run_tag_attack, summarize_tag_attack
from xstilts.evaluate.under_attack import run_attack, summarize_attack
from xstilts.evaluate.under_perturbation import evaluate_perturbations, model_inputs
from xstilts.examples import Example
from xstilts.io import read_json
from xstilts.modeling.model import MultiTaskModel, load_checkpoint
from xstilts.modeling.predict import accuracy
from xstilts.modeling.predict_spans import SpanChoice
from xstilts.modeling.span_inputs import Windowing
from xstilts.perturb import build_families
from xstilts.tasks import get_task


class Evaluation:
    """One checkpoint, its tokenizer and the prediction settings of its task."""

    def __init__(self, params: Params, task: str, checkpoint: Path) -> None:
        self.model: MultiTaskModel
        self.model, self.tokenizer, self.meta = load_checkpoint(checkpoint)
        self.params, self.task = params, task
        self.spec = get_task(task)
        self.head = self.spec.head_name
        training = params.target.training_for(task)
        self.max_length = training.max_length_for(task)
        evaluate = params.evaluate
        if self.spans:
            self.predict = SpanPredictor(
                self.model,
                self.tokenizer,
                self.head,
                Windowing.of(training, task),
                SpanChoice.of(training.spans),
                evaluate.batch_size,
                evaluate.precision,
            )
            return
        predictor = TagPredictor if self.tagging else BatchPredictor
        self.predict = predictor(
            self.model,
            self.tokenizer,
            self.head,
            self.max_length,
            evaluate.batch_size,
            evaluate.precision,
        )

    @property
    def tagging(self) -> bool:
        return self.spec.kind == "tagging"

    @property
    def spans(self) -> bool:
        return self.spec.kind == "span"


@dataclass(frozen=True)
class RobustnessResults:
    """Accuracy under perturbation, under attack and in the generalized setting: per-example
    rows (the generalized pairs' among the perturbed rows) and metrics."""

    perturbed_rows: list[dict[str, Any]]
    perturbations: dict[str, Any]
    attack_rows: list[dict[str, Any]]
    attacks: dict[str, Any]
    generalized: dict[str, Any]


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
    variants = read_perturbed_set(perturbed_set, clean)
    if ev.spans:
        by_key = {(r["lang"], r["id"]): r for r in records}
        rows, perturbations = evaluate_span_perturbations(
            variants, ev.predict, by_key, ev.spec.normalization
        )
        attack_rows, attacks = evaluate_span_attacks(ev, clean, by_key, seed, lexicons)
        return RobustnessResults(rows, perturbations, attack_rows, attacks, {})
    inputs = model_inputs(ev.tokenizer, ev.max_length)
    if ev.tagging:
        rows, perturbations = evaluate_tag_perturbations(
            variants, ev.predict, inputs, clean_pred, ev.spec.metric, ev.spec.labels
        )
        attack_rows, attacks = evaluate_tag_attacks(ev, clean, clean_pred, seed, lexicons)
        return RobustnessResults(rows, perturbations, attack_rows, attacks, {})
    pairs = {name: xs for name, xs in variants.items() if is_generalized(name)}
    variants = {name: xs for name, xs in variants.items() if not is_generalized(name)}
    rows, perturbations = evaluate_perturbations(variants, ev.predict, inputs, clean_pred)
    pair_rows, generalized = evaluate_perturbations(pairs, ev.predict, inputs, clean_pred)
    attack_rows, attacks = evaluate_attacks(ev, ev.params, clean, clean_pred, seed, lexicons)
    return RobustnessResults(rows + pair_rows, perturbations, attack_rows, attacks, generalized)


def evaluate_span_attacks(
    ev: Evaluation,
    clean: dict[tuple[str, str], Example],
    clean_rows: dict[tuple[str, str], dict[str, Any]],
    seed: int,
    lexicons: Path,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every attack of the profile against a span-QA checkpoint (`xstilts.attack.spans`)."""
    robustness = ev.params.robustness
    examples = attack_examples(ev.params, ev.task, clean)
    resources = family_resources(ev.params, lexicons, ev.tokenizer)
    rows, metrics = [], {}
    for name, config in robustness.attacks.items():
        families = build_families(config.families, resources)
        attacker = SpanAttacker(
            families, lambda xs: scored_answers(ev.predict, xs), ev.spec.normalization
        )
        attack_rows = run_span_attack(
            name, attacker, attack_budget(config), examples, clean_rows, seed
        )
        metrics[name] = summarize_span_attack(attack_rows, robustness.budget_curve)
        rows += attack_rows
    return rows, metrics


def evaluate_tag_attacks(
    ev: Evaluation,
    clean: dict[tuple[str, str], Example],
    clean_pred: dict[tuple[str, str], list[int]],
    seed: int,
    lexicons: Path,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every attack of the profile against a tagging checkpoint (`xstilts.attack.tagging`)."""
    robustness = ev.params.robustness
    examples = attack_examples(ev.params, ev.task, clean)
    resources = family_resources(ev.params, lexicons, ev.tokenizer)
    rows, metrics = [], {}
    for name, config in robustness.attacks.items():
        families = build_families(config.families, resources)
        attacker = TaggingAttacker(families, ev.predict, ev.spec.labels, ev.spec.metric)
        attack_rows = run_tag_attack(
            name, attacker, attack_budget(config), examples, clean_pred, seed
        )
        metrics[name] = summarize_tag_attack(attack_rows, robustness.budget_curve)
        rows += attack_rows
    return rows, metrics


def evaluate_clean(
    ev: Evaluation, prepared: Path
) -> tuple[dict[tuple[str, str], Example], list[dict[str, Any]], dict[str, Any]]:
    if ev.tagging:
        return evaluate_clean_tags(ev, prepared)
    if ev.spans:
        return evaluate_clean_spans(ev, prepared)
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
        "metric": "accuracy",
        "accuracy": scores,
        "mean": statistics.fmean(scores.values()),
        "chance": 1 / max(widths),
        "mean_zero_shot": statistics.fmean(zero_shot) if zero_shot else None,
        "examples": sizes,
        "eval_splits": splits,
    }
    return clean, records, metrics


def evaluate_clean_tags(
    ev: Evaluation, prepared: Path
) -> tuple[dict[tuple[str, str], Example], list[dict[str, Any]], dict[str, Any]]:
    """Clean scores of a tagging target: its metric per language, with each language's
    no-skill level, trials (words or gold entities) and sentence exact match."""
    sources = read_json(prepared / "summary.json")
    metric, names = ev.spec.metric, ev.spec.labels
    clean: dict[tuple[str, str], Example] = {}
    records: list[dict[str, Any]] = []
    per_lang: dict[str, dict[str, Any]] = {}
    sizes, splits = {}, {}
    for lang in target_languages(ev.params, ev.task):
        examples = read_split(prepared, ev.task, "test", lang)
        encoded = ev.predict.encode(examples)  # once: its count of <unk> words is reported too
        preds = argmax_tags(ev.predict.probs(encoded))
        per_lang[lang] = language_scores(metric, names, examples, preds)
        per_lang[lang]["unk_words"] = encoded.unk_words
        sizes[lang] = len(examples)
        splits[lang] = sources[f"{ev.task}/test.{lang}.jsonl"]["source"]
        clean.update(((lang, e.id), e) for e in examples)
        records += clean_records(examples, preds, lang)
    scores = {lang: values["score"] for lang, values in per_lang.items()}
    zero_shot = [score for lang, score in scores.items() if lang != "en"]
    metrics = {
        "dev_en": ev.meta["dev_mean"],
        "metric": metric,
        metric: scores,
        "mean": statistics.fmean(scores.values()),
        "chance": {lang: values["chance"] for lang, values in per_lang.items()},
        "mean_zero_shot": statistics.fmean(zero_shot) if zero_shot else None,
        "examples": sizes,
        "trials": {lang: values["trials"] for lang, values in per_lang.items()},
        "exact_match": {lang: values["exact_match"] for lang, values in per_lang.items()},
        # words read as <unk> because the tokenizer gives them no token (counted, not dropped)
        "unk_words": {lang: values["unk_words"] for lang, values in per_lang.items()},
        "eval_splits": splits,
    }
    if metric == "accuracy":  # XTREME's UD-POS number, for comparison with published results
        metrics["pos_f1"] = {lang: values["pos_f1"] for lang, values in per_lang.items()}
    return clean, records, metrics


def evaluate_clean_spans(
    ev: Evaluation, prepared: Path
) -> tuple[dict[tuple[str, str], Example], list[dict[str, Any]], dict[str, Any]]:
    """Clean scores of a span-QA target: F1 and exact match per language (`evaluate.spans`),
    and the windows the questions took."""
    sources = read_json(prepared / "summary.json")
    clean: dict[tuple[str, str], Example] = {}
    records: list[dict[str, Any]] = []
    per_lang, sizes, splits, windows, cut = {}, {}, {}, {}, {}
    for lang in target_languages(ev.params, ev.task):
        examples = read_split(prepared, ev.task, "test", lang)
        encoded = ev.predict.encode(examples)
        rows = span_records(examples, ev.predict.answers(encoded), ev.spec.normalization)
        per_lang[lang] = span_language_scores(rows)
        sizes[lang], windows[lang] = len(examples), len(encoded)
        cut[lang] = encoded.truncated_questions
        splits[lang] = sources[f"{ev.task}/test.{lang}.jsonl"]["source"]
        clean.update(((lang, e.id), e) for e in examples)
        records += rows
    f1 = {lang: values["f1"] for lang, values in per_lang.items()}
    zero_shot = [score for lang, score in f1.items() if lang != "en"]
    metrics = {
        "dev_en": ev.meta["dev_mean"],
        "metric": "f1",
        "f1": f1,
        "exact_match": {lang: values["exact_match"] for lang, values in per_lang.items()},
        "mean": statistics.fmean(f1.values()),
        "chance": 0.0,
        "mean_zero_shot": statistics.fmean(zero_shot) if zero_shot else None,
        "examples": sizes,
        "windows": windows,
        # questions longer than `spans.max_query_length` tokens, cut as XTREME cuts them
        "truncated_questions": cut,
        "normalization": ev.spec.normalization,
        "eval_splits": splits,
    }
    pairs = cross_language_pairs(ev.params, ev.task)
    if pairs:  # MLQA's G-XLT (`evaluate.cross_language`)
        metrics["cross_language"] = evaluate_cross_language(
            ev.predict, prepared, ev.task, pairs, ev.spec.normalization, f1
        )
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
    references = english_references(ev, clean, examples)
    rows, metrics = [], {}
    for name, config in robustness.attacks.items():
        families = build_families(config.families, resources)
        attacker = Attacker(ev.model, ev.tokenizer, ev.head, families, predict_fn=ev.predict)
        attack_rows = run_attack(
            name, attacker, attack_budget(config), examples, clean_pred, seed, references
        )
        metrics[name] = summarize_attack(attack_rows, robustness.budget_curve)
        rows += attack_rows
    return rows, metrics


def english_references(
    ev: Evaluation, clean: dict[tuple[str, str], Example], examples: list[Example]
) -> dict[str, Example]:
    """On a parallel test set, example id -> its English example, the base of every language's
    word budget (`xstilts.evaluate.under_attack`); nothing otherwise."""
    if not ev.spec.parallel_test:
        return {}
    ids = {e.id for e in examples}
    return {i: e for (lang, i), e in clean.items() if lang == "en" and i in ids}


def attack_budget(config: AttackConfig) -> AttackBudget:
    return AttackBudget(
        config.max_unit_fraction,
        config.max_queries,
        config.beam_width,
        config.candidates_per_unit,
    )


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
