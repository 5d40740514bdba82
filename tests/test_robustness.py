"""Robustness evaluation pieces: the shared perturbed set, effective-only drops, attack metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xstilts.evaluate.perturbed_set import build_perturbed_set, read_perturbed_set
from xstilts.evaluate.under_attack import summarize_attack
from xstilts.evaluate.under_perturbation import summarize_variant
from xstilts.examples import ChoiceExample, PairExample
from xstilts.perturb import Resources, apply_edits, build_families
from xstilts.perturb.base import Edit
from xstilts.perturb.examples import example_fields

LEXICONS = Path(__file__).resolve().parents[1] / "data" / "lexicon"
EXAMPLES = [
    PairExample("1", "ru", "Анна читает книгу в парке.", "Анна читает.", 0),
    PairExample("2", "hi", "राम बाज़ार में सेब खरीदता है।", "राम सेब खरीदता है।", 1),
    ChoiceExample("3", "zh", "玛丽吃了药。", "cause", ("玛丽生病了。", "玛丽很开心。"), 0),
]


def perturbed_set(seed: int = 0) -> list[dict]:
    families = build_families(["keyboard", "word_swap", "codeswitch"], Resources(LEXICONS))
    return build_perturbed_set(EXAMPLES, families, [0.3], seed)


def test_perturbed_set_is_deterministic_and_rebuilds_the_perturbed_examples() -> None:
    records = perturbed_set()
    assert records == perturbed_set() and records != perturbed_set(seed=1)
    assert len(records) == len(EXAMPLES) * 3
    clean = {(e.lang, e.id): e for e in EXAMPLES}
    variants = read_perturbed_set(records, clean)
    assert set(variants) == {"keyboard@0.3", "word_swap@0.3", "codeswitch@0.3"}
    for record in records:
        original = example_fields(clean[(record["lang"], record["id"])])
        for field, edits in record["edits"].items():
            rebuilt = apply_edits(original[field], [Edit(*e) for e in edits])
            assert rebuilt == record["fields"][field]
    choice = next(i for i in variants["keyboard@0.3"] if i.clean.id == "3")
    assert choice.perturbed.question == "cause" and choice.perturbed.label == 0


def row(pred: int, clean_pred: int, effective: bool, gold: int = 1, lang: str = "ru") -> dict:
    return {
        "lang": lang,
        "gold": gold,
        "pred": pred,
        "clean_pred": clean_pred,
        "effective": effective,
        "units": 10,
        "edited": 1,
    }


def test_erased_perturbations_are_not_counted_as_robustness() -> None:
    rows = [
        row(pred=0, clean_pred=1, effective=True),  # flipped by a perturbation the model saw
        row(pred=1, clean_pred=1, effective=False),  # erased by the tokenizer: clean input
        row(pred=1, clean_pred=1, effective=False),
        row(pred=1, clean_pred=1, effective=True),
    ]
    summary = summarize_variant(rows)["languages"]["ru"]
    assert summary["effective_rate"] == 0.5
    assert summary["drop"] == pytest.approx(0.25)  # diluted by erased inputs
    assert summary["drop_effective"] == pytest.approx(0.5)  # what the report uses
    assert summary["perturbed_unit_ratio"] == pytest.approx(0.1)


def test_a_language_without_effective_rows_has_no_drop_and_stays_out_of_the_mean() -> None:
    rows = [
        row(pred=0, clean_pred=1, effective=True),
        row(pred=1, clean_pred=1, effective=True),
        row(pred=1, clean_pred=1, effective=False, lang="zh"),  # erased everywhere in zh
        row(pred=0, clean_pred=0, effective=False, lang="zh"),
        row(pred=1, clean_pred=1, effective=False, lang="en"),
    ]
    summary = summarize_variant(rows)
    zh = summary["languages"]["zh"]
    assert zh["effective_rate"] == 0.0
    assert zh["drop_effective"] is None
    assert zh["accuracy_effective"] is None and zh["clean_accuracy_effective"] is None
    assert summary["mean_zero_shot"]["drop_effective"] == pytest.approx(0.5)  # ru alone, not 0.25
    assert summary["mean_zero_shot"]["effective_rate"] == pytest.approx(0.5)  # ru 1.0, zh 0.0
    assert summary["n_zero_shot"] == {
        "accuracy": 2,
        "drop": 2,
        "drop_effective": 1,
        "effective_rate": 2,
    }
    assert json.loads(json.dumps(summary))["languages"]["zh"]["drop_effective"] is None


def test_a_variant_never_effective_has_no_zero_shot_drop() -> None:
    rows = [row(pred=1, clean_pred=1, effective=False, lang=lang) for lang in ("ru", "zh", "en")]
    summary = summarize_variant(rows)
    assert summary["mean_zero_shot"]["drop_effective"] is None
    assert summary["n_zero_shot"]["drop_effective"] == 0
    assert summary["mean_zero_shot"]["effective_rate"] == 0.0


def attack(flipped: bool, units: int = 0, attacked: bool = True, lang: str = "ru") -> dict:
    if not attacked:
        return {"lang": lang, "attacked": False, "flipped": False, "correct": False}
    return {
        "lang": lang,
        "attacked": True,
        "flipped": flipped,
        "correct": not flipped,
        "queries": 10 + units,
        "perturbed_units": units,
        "total_units": 10,
    }


def test_attack_metrics_and_budget_curve() -> None:
    rows = [attack(True, 1), attack(True, 2), attack(False), attack(False, attacked=False)]
    summary = summarize_attack(rows, [0.1, 0.2])["languages"]["ru"]
    assert summary["clean_accuracy"] == 0.75
    assert summary["accuracy"] == 0.25
    assert summary["success_rate"] == pytest.approx(2 / 3)
    assert summary["perturbed_unit_ratio"] == pytest.approx(0.15)
    # at a 10% budget only the one-word flip succeeds; at 20% both do
    assert summary["accuracy_at_budget"] == {"0.1": 0.5, "0.2": 0.25}


def test_attack_metrics_over_nothing_are_undefined_not_zero() -> None:
    rows = [
        attack(True, 1),
        attack(False),
        attack(False, attacked=False, lang="zh"),  # nothing attacked in zh
        attack(False, attacked=False, lang="zh"),
        attack(False, lang="hi"),  # attacked, never flipped
    ]
    summary = summarize_attack(rows, [0.1])
    zh, hi = summary["languages"]["zh"], summary["languages"]["hi"]
    assert zh["success_rate"] is None and zh["mean_queries"] is None
    assert zh["perturbed_unit_ratio"] is None and hi["perturbed_unit_ratio"] is None
    assert (zh["clean_accuracy"], zh["accuracy"]) == (0.0, 0.0)
    assert hi["success_rate"] == 0.0
    means, counts = summary["mean_zero_shot"], summary["n_zero_shot"]
    assert means["success_rate"] == pytest.approx(0.25)  # ru 0.5, hi 0.0; zh left out
    assert means["mean_queries"] == pytest.approx(10.25)  # ru 10.5, hi 10.0
    assert counts == {"clean_accuracy": 3, "accuracy": 3, "success_rate": 2, "mean_queries": 2}
    assert means["accuracy"] == pytest.approx((0.5 + 0.0 + 1.0) / 3)
