"""Reading one run's metrics file: its metric, clean scores, no-skill level, trials and attacks.

Every metrics file names its metric (`"metric"`): "accuracy" for the classification targets and
for UD-POS (word accuracy), "f1" for WikiANN NER (entity F1) and for span QA (answer F1, whose
files also name their answer `normalization`); the clean per-language scores are under the key
it names. A file without the key predates tagging targets and holds accuracy. The
two kinds of target differ in the rest of their shape:

- chance: one float for a classification target (one over the number of classes); a no-skill
  level per language for a tagging target (the share of the language's most frequent tag for
  word accuracy, 0 for entity F1);
- the n of the above-chance test: `examples` for classification, `trials` (words, or gold
  entities) for tagging;
- per-variant perturbation and per-attack metrics: `accuracy`, `clean_accuracy`,
  `accuracy_at_budget`, ... for classification, `score`, `clean_score`, `score_at_budget`, ...
  for tagging, `f1`, `clean_f1`, `f1_at_budget`, ... for span QA (`value_key` maps them);
- an attack the evaluate stage did not run on the task is `{"not_run": reason}`, never numbers.

Every reader of clean scores goes through here, so that none reads accuracy off a run that
measured F1, or a chance level that is not that language's.
"""

from __future__ import annotations

from typing import Any

Metrics = dict[str, Any]

DEFAULT_METRIC = "accuracy"
# classification name of a per-variant or per-attack value -> its name in a tagging target's
TAGGING_KEYS = {
    "accuracy": "score",
    "clean_accuracy": "clean_score",
    "accuracy_effective": "score_effective",
    "clean_accuracy_effective": "clean_score_effective",
    "accuracy_at_budget": "score_at_budget",
}


# ... and in a span-QA target's (its per-example outcome is the answer's F1)
SPAN_KEYS = {
    "accuracy": "f1",
    "clean_accuracy": "clean_f1",
    "accuracy_effective": "f1_effective",
    "clean_accuracy_effective": "clean_f1_effective",
    "accuracy_at_budget": "f1_at_budget",
}


def metric(metrics: Metrics) -> str:
    """The metric the run's clean scores are in: "accuracy" or "f1"."""
    return str(metrics.get("metric", DEFAULT_METRIC))


def clean_scores(metrics: Metrics) -> dict[str, float]:
    """Clean test score per language, in the run's metric."""
    return metrics[metric(metrics)]


def is_tagging(metrics: Metrics) -> bool:
    """Whether the run is a tagging target's: its scores count words or entities, not
    examples (the evaluate stage writes `trials` for tagging targets only)."""
    return "trials" in metrics or isinstance(metrics.get("chance"), dict)


def is_span(metrics: Metrics) -> bool:
    """Whether the run is a span-QA target's (the evaluate stage names its answer
    normalisation)."""
    return "normalization" in metrics


def metric_short(metrics: Metrics) -> str:
    """The metric's name for a table column: "acc", "word acc" or "F1"."""
    short = {"accuracy": "acc", "word accuracy": "word acc", "entity F1": "F1", "answer F1": "F1"}
    return short[metric_label(metrics)]


def metric_label(metrics: Metrics) -> str:
    """What the scores measure, in words: "accuracy", "word accuracy", "entity F1" or
    "answer F1"."""
    if is_span(metrics):
        return "answer F1"
    if metric(metrics) == "f1":
        return "entity F1"
    return "word accuracy" if is_tagging(metrics) else "accuracy"


def chance_level(metrics: Metrics, lang: str) -> float:
    """The no-skill level of `lang`: the task's one chance level, or the language's own."""
    chance = metrics["chance"]
    return float(chance[lang]) if isinstance(chance, dict) else float(chance)


def chance_varies(metrics: Metrics) -> bool:
    """Whether the no-skill level is per language (a tagging target) rather than one number."""
    return isinstance(metrics["chance"], dict)


def trials(metrics: Metrics, lang: str) -> int:
    """The n of the language's above-chance test: test examples, or words / gold entities."""
    counts = metrics["trials"] if "trials" in metrics else metrics["examples"]
    return int(counts[lang])


def value_key(metrics: Metrics, key: str) -> str:
    """The name of a per-variant or per-attack value (given by its classification name) in this
    run's metrics; names both kinds share (drop_effective, effective_rate, success_rate,
    mean_queries, ...) pass as they are."""
    if is_span(metrics):
        return SPAN_KEYS.get(key, key)
    return TAGGING_KEYS.get(key, key) if is_tagging(metrics) else key


def attacks_run(metrics: Metrics) -> dict[str, dict]:
    """The attacks with results (those marked `not_run` have no numbers to show)."""
    return {name: a for name, a in metrics.get("attacks", {}).items() if "not_run" not in a}


def attacks_not_run(metrics: Metrics) -> dict[str, str]:
    """Attack name -> the reason it was not run, for the attacks the run skipped."""
    return {
        name: str(a["not_run"]) for name, a in metrics.get("attacks", {}).items() if "not_run" in a
    }
