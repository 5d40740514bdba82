"""Tagging targets in the report, the evaluate command's line and the demo headline.

A synthetic run of one classification target (xnli) and two tagging targets (udpos: word
accuracy; panx: entity F1), written as the evaluate stage writes them (tagging scores and
perturbation metrics from `xstilts.evaluate.tagging` itself), then the real report built from
the files: each table names its metric, tagging attacks are named as not run, the transfer test
counts trials, and the tagging targets' exact-match comparisons stay out of the primary answer.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import pytest

from xstilts import paths
from xstilts.cli import clean_scores_line
from xstilts.config import Params, deep_update, parse_params
from xstilts.demo.headline import headline_table, metric_values
from xstilts.evaluate.perturbed_set import PerturbedExample
from xstilts.evaluate.tagging import clean_records, evaluate_tag_perturbations, language_scores
from xstilts.evaluate.tagging_attack import summarize_tag_attack
from xstilts.evaluate.under_attack import summarize_attack
from xstilts.evaluate.under_perturbation import summarize_variant
from xstilts.examples import TaggedExample
from xstilts.io import read_json, write_json, write_jsonl
from xstilts.report import document
from xstilts.report.robustness import attack_summary, family_table, language_table
from xstilts.report.scores import (
    attacks_not_run,
    attacks_run,
    chance_level,
    clean_scores,
    metric_label,
    trials,
    value_key,
)
from xstilts.report.transfer import transfer_cell, transfer_cells, transfer_section
from xstilts.stats import binomial_upper_tail
from xstilts.tag_metrics import tag_counts
from xstilts.tasks import get_task

from .conftest import TINY_RUN, sample_profile

LANGS = ("en", "ru", "zh")
CONDITIONS = ("none", "multi")
N = 24  # test sentences (or examples) per language
VARIANT = "typo@0.1"
NOT_RUN = "the adversarial search has no tagging objective yet"


@pytest.fixture
def params() -> Params:
    """Three targets (one classification, two tagging), two conditions, three languages."""
    raw = deep_update(sample_profile(), TINY_RUN)
    raw["conditions"] = {"none": [], "multi": ["qqp", "mnli", "race"]}
    raw["targets"] = ["xnli", "udpos", "panx"]
    raw["rsda"] = {"conditions": []}  # the RS-DA conditions have tests of their own
    raw["retrieval"] = {"tasks": []}  # so has retrieval (tests/test_stages.py)
    raw["data"]["languages"] = list(LANGS)
    return parse_params(raw)


# --- the synthetic runs ------------------------------------------------------------------------


def wrong(i: int, condition: str, lang: str, perturbed: bool = False) -> bool:
    """Whether the model gets sentence/example i wrong: en best, multi more robust than none."""
    every = {"en": 6, "ru": 4, "zh": 3}[lang]
    if perturbed:
        every = max(2, every - (1 if condition == "multi" else 2))
    return i % every == 0


def tagged(task: str, lang: str, i: int, perturbed: bool = False) -> TaggedExample:
    """Four words; udpos: NOUN VERB NOUN PUNCT (no-skill 0.5); panx: one entity."""
    names = get_task(task).labels
    if task == "udpos":
        tags = [names.index(t) for t in ("NOUN", "VERB", "NOUN", "PUNCT")]
    else:
        tags = [
            names.index(t) for t in (("B-PER", "I-PER", "O", "O"), ("O", "O", "B-LOC", "O"))[i % 2]
        ]
    words = [f"w{i}{j}" for j in range(4)]
    if perturbed and i % 5:  # every fifth sentence's edit is erased: not effective
        words[0] += "x"
    return TaggedExample(f"{task}-{i}", lang, tuple(words), tuple(tags))


def predicted(task: str, example: TaggedExample, bad: bool, silent: bool) -> list[int]:
    """Gold, but one tag wrong where `bad`; every tag O (no entity) where `silent`."""
    names = get_task(task).labels
    if silent:
        return [names.index("O")] * len(example.tags) if "O" in names else list(example.tags)
    tags = list(example.tags)
    if bad:
        tags[0] = (tags[0] + 2) % len(names)
    return tags


class FakeTagger:
    """Stands in for `TagPredictor`: the planted predictions of the perturbed sentences."""

    def __init__(self, preds: dict[tuple[str, str], list[int]]) -> None:
        self.preds = preds

    def tags(self, examples: list[TaggedExample]) -> list[list[int]]:
        return [self.preds[(e.lang, e.id)] for e in examples]


def tagging_run(
    task: str, condition: str, attacked: bool = False
) -> tuple[dict, list[dict], list[dict], list[dict]]:
    """(metrics, clean rows, perturbed rows, attack rows) of one tagging run, as the evaluate
    stage has them; panx under `none` finds no entity in zh (F1 0: at its no-skill level). The
    attacks are not run, unless `attacked`."""
    spec = get_task(task)
    per_lang, records, items, later = {}, [], [], {}
    for lang in LANGS:
        silent = task == "panx" and condition == "none" and lang == "zh"
        examples = [tagged(task, lang, i) for i in range(N)]
        preds = [
            predicted(task, e, wrong(i, condition, lang), silent) for i, e in enumerate(examples)
        ]
        per_lang[lang] = language_scores(spec.metric, spec.labels, examples, preds)
        records += clean_records(examples, preds, lang)
        for i, example in enumerate(examples):
            changed = tagged(task, lang, i, perturbed=True)
            items.append(PerturbedExample(VARIANT, example, changed, units=4, edited=1))
            later[(lang, example.id)] = predicted(
                task, changed, wrong(i, condition, lang, perturbed=True), silent
            )
    clean_pred = {(r["lang"], r["id"]): r["pred"] for r in records}
    rows, perturbations = evaluate_tag_perturbations(
        {VARIANT: items},
        FakeTagger(later),
        lambda examples: [list(e.words) for e in examples],
        clean_pred,
        spec.metric,
        spec.labels,
    )
    scores = {lang: v["score"] for lang, v in per_lang.items()}
    metrics = {
        "dev_en": scores["en"],
        "metric": spec.metric,
        spec.metric: scores,
        "mean": statistics.fmean(scores.values()),
        "chance": {lang: v["chance"] for lang, v in per_lang.items()},
        "mean_zero_shot": statistics.fmean(s for lang, s in scores.items() if lang != "en"),
        "examples": dict.fromkeys(LANGS, N),
        "trials": {lang: v["trials"] for lang, v in per_lang.items()},
        "exact_match": {lang: v["exact_match"] for lang, v in per_lang.items()},
        "perturbations": perturbations,
        "attacks": {name: {"not_run": NOT_RUN} for name in ("typo", "codeswitch")},
    }
    if spec.metric == "accuracy":
        metrics["pos_f1"] = {lang: v["pos_f1"] for lang, v in per_lang.items()}
    if not attacked:
        return metrics, records, rows, []
    attack_rows = [
        tag_attack_row(task, name, r, wrong(int(r["id"].split("-")[1]), condition, r["lang"], True))
        for name in ("typo", "codeswitch")
        for r in records
    ]
    metrics["attacks"] = {
        name: summarize_tag_attack([r for r in attack_rows if r["attack"] == name], (0.1,))
        for name in ("typo", "codeswitch")
    }
    return metrics, records, rows, attack_rows


def tag_attack_row(task: str, name: str, clean: dict, succeeds: bool) -> dict[str, Any]:
    """An attack manifest row of one sentence: attacked where its clean score is above 0; a
    successful attack loses every point of the sentence with one changed word."""
    spec = get_task(task)
    counts = tag_counts(spec.metric, clean["gold"], clean["pred"], spec.labels)
    row = {"id": clean["id"], "lang": clean["lang"], "attack": name, "seed": 0}
    row |= {"gold": clean["gold"], "clean_counts": [counts.numerator, counts.denominator]}
    if not counts.numerator:
        exact = clean["pred"] == clean["gold"]
        unchanged = {"counts": row["clean_counts"], "steps": []}
        return row | {"attacked": False, "flipped": False, "correct": exact} | unchanged
    after = [0, counts.denominator] if succeeds else row["clean_counts"]
    return row | {
        "attacked": True,
        "flipped": succeeds,
        "correct": not succeeds and clean["pred"] == clean["gold"],
        "counts": after,
        "steps": [after],
        "queries": 3,
        "perturbed_units": 1,
        "total_units": 4,
    }


def classification_run(condition: str, budget_curve: tuple[float, ...]) -> tuple[dict, ...]:
    """(metrics, clean rows, perturbed rows, attack rows) of one xnli run."""
    clean, perturbed, attacked = [], [], []
    for lang in LANGS:
        for i in range(N):
            right = not wrong(i, condition, lang)
            clean.append({"id": f"x{i}", "lang": lang, "gold": 1, "pred": int(right)})
            after = int(not wrong(i, condition, lang, perturbed=True))
            perturbed.append(
                {"id": f"x{i}", "lang": lang, "variant": VARIANT, "gold": 1, "pred": after}
                | {"clean_pred": int(right), "effective": bool(i % 5), "units": 10, "edited": 1}
            )
            for name in ("typo", "codeswitch"):
                attacked.append(attack_row(name, lang, f"x{i}", right, flipped=after == 0))
    scores = {
        lang: statistics.fmean(r["pred"] == r["gold"] for r in clean if r["lang"] == lang)
        for lang in LANGS
    }
    metrics = {
        "dev_en": scores["en"],
        "metric": "accuracy",
        "accuracy": scores,
        "mean": statistics.fmean(scores.values()),
        "chance": 1 / 3,
        "mean_zero_shot": statistics.fmean(scores[lang] for lang in LANGS[1:]),
        "examples": dict.fromkeys(LANGS, N),
        "perturbations": {VARIANT: summarize_variant(perturbed)},
        "attacks": {
            name: summarize_attack([r for r in attacked if r["attack"] == name], budget_curve)
            for name in ("typo", "codeswitch")
        },
    }
    return metrics, clean, perturbed, attacked


def attack_row(name: str, lang: str, id_: str, right: bool, flipped: bool) -> dict[str, Any]:
    row = {"id": id_, "lang": lang, "attack": name, "seed": 0, "gold": 1}
    if not right:
        return row | {"attacked": False, "flipped": False, "correct": False}
    return row | {
        "attacked": True,
        "flipped": flipped,
        "correct": not flipped,
        "queries": 5,
        "perturbed_units": 1,
        "total_units": 10,
    }


def write_runs(params: Params, root: Path, tag_attacks: bool = False) -> None:
    """Every run params lists, written where the evaluate stage writes it."""
    for condition in CONDITIONS:
        key = (condition, "xnli", 0)
        metrics, clean, perturbed, attacked = classification_run(
            condition, params.robustness.budget_curve
        )
        write_json(root / paths.eval_metrics(*key), metrics)
        write_jsonl(root / paths.eval_predictions(*key), clean)
        write_jsonl(root / paths.robust_predictions(*key), perturbed)
        write_jsonl(root / paths.attack_manifest(*key), attacked)
        for task in ("udpos", "panx"):
            key = (condition, task, 0)
            metrics, clean, perturbed, attacked = tagging_run(task, condition, tag_attacks)
            write_json(root / paths.eval_metrics(*key), metrics)
            write_jsonl(root / paths.eval_predictions(*key), clean)
            write_jsonl(root / paths.robust_predictions(*key), perturbed)
            write_jsonl(root / paths.attack_manifest(*key), attacked)  # empty: not run


def build(
    params: Params, root: Path, monkeypatch: pytest.MonkeyPatch, tag_attacks: bool = False
) -> tuple[str, dict]:
    """The report text and summary of the synthetic runs (no intermediate models or prepared
    data: their tables are not what is tested here)."""
    write_runs(params, root, tag_attacks)
    monkeypatch.setattr(document, "intermediate_table", lambda params, root: [])
    monkeypatch.setattr(document, "language_texts", lambda params, prepared: {})
    lines, summary = document.build_report(params, root, root / "plots")
    return "\n".join(lines), summary


@pytest.fixture
def built(params: Params, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict]:
    """The report of the runs whose tagging attacks were not run."""
    return build(params, tmp_path, monkeypatch)


def section(text: str, heading: str) -> str:
    """The lines under `heading` up to the next heading."""
    start = text.index(heading)
    following = text.find("\n#", start + len(heading))
    return text[start : following if following != -1 else None]


# --- the accessor ------------------------------------------------------------------------------


def test_one_accessor_reads_both_shapes_of_metrics_file() -> None:
    old = {"accuracy": {"en": 0.8}, "chance": 1 / 3, "examples": {"en": 300}}  # no "metric" key
    assert clean_scores(old) == {"en": 0.8} and metric_label(old) == "accuracy"
    assert (chance_level(old, "en"), trials(old, "en")) == (pytest.approx(1 / 3), 300)
    assert value_key(old, "accuracy_effective") == "accuracy_effective"
    ner = {
        "metric": "f1",
        "f1": {"en": 0.7},
        "chance": {"en": 0.0},
        "examples": {"en": 10},
        "trials": {"en": 42},
        "attacks": {"typo": {"not_run": NOT_RUN}, "other": {"languages": {}}},
    }
    assert clean_scores(ner) == {"en": 0.7} and metric_label(ner) == "entity F1"
    assert (chance_level(ner, "en"), trials(ner, "en")) == (0.0, 42)  # entities, not sentences
    assert value_key(ner, "accuracy") == "score" and value_key(ner, "drop") == "drop"
    assert list(attacks_run(ner)) == ["other"] and attacks_not_run(ner) == {"typo": NOT_RUN}
    pos = {"metric": "accuracy", "accuracy": {"en": 0.9}, "chance": {"en": 0.2}, "trials": {}}
    assert metric_label(pos) == "word accuracy"


# --- transfer ----------------------------------------------------------------------------------


def test_word_accuracy_is_tested_on_words_and_f1_above_zero_without_a_test() -> None:
    pos = tagging_run("udpos", "none")[0]
    ru = transfer_cell([pos], "ru", alpha=0.05)
    assert (ru.n, ru.chance, ru.label) == (4 * N, 0.5, "word accuracy")  # words, own no-skill
    correct = round(pos["accuracy"]["ru"] * 4 * N)
    assert ru.p_value == pytest.approx(binomial_upper_tail(correct, 4 * N, 0.5))
    ner = tagging_run("panx", "none")[0]
    zh, en = (transfer_cell([ner], lang, alpha=0.05) for lang in ("zh", "en"))
    assert (zh.score, zh.p_value, zh.above) == (0.0, None, False)  # no entity found: no skill
    assert (en.p_value, en.above, en.n) == (None, True, N)  # one gold entity per sentence
    lines = transfer_section(transfer_cells({"panx": {"none": [ner]}}, 0.05), 0.05, seeds=1)
    text = "\n".join(lines)
    assert "### panx: clean entity F1 above no-skill (pp; no-skill level in %)" in text
    assert "| no-skill level | 0.0 | 0.0 | 0.0 |" in text
    assert "its F1 is above 0" in text and "no p-value" in text


# --- the report --------------------------------------------------------------------------------


def test_target_tables_name_each_metric_and_the_no_skill_levels(built: tuple[str, dict]) -> None:
    text, summary = built
    assert "### xnli (accuracy %, chance 33.3)" in text
    udpos = section(text, "### udpos (word accuracy %)")
    assert "| no-skill level | - | 50.0 | 50.0 | 50.0 | - |" in udpos
    assert "### panx (entity F1 %)" in text
    assert "### panx (sentence exact match %, the unit of its paired statistics)" in text
    assert "### xnli (sentence exact match" not in text
    assert summary["panx"]["none"]["zh"] == 0.0  # the summary reads F1, not a missing accuracy
    intro = section(text, "## Tagging targets: what their numbers are")
    assert "- udpos: word accuracy" in intro and "`pos_f1`" in intro
    assert "- panx: entity F1" in intro and "sentence exact match" in intro
    assert f"not run on them ({NOT_RUN})" in intro


def test_tagging_attacks_are_named_as_not_run_and_show_no_numbers(built: tuple[str, dict]) -> None:
    text, _ = built
    panx = section(text, "### panx: zero-shot mean under perturbation (%)")
    assert f"Attacks not run on panx: codeswitch, typo ({NOT_RUN})" in panx
    assert "typo: acc" not in panx and "clean (attacked subset)" not in panx
    assert "### panx: accuracy under attack" not in text
    assert "### xnli: accuracy under attack by language and script (%)" in text
    assert "### panx: entity F1 drop per perturbation family" in text
    assert "### udpos: word accuracy drop per perturbation family" in text


def test_exact_match_comparisons_stay_out_of_the_primary_answer(built: tuple[str, dict]) -> None:
    text, summary = built
    robustness = summary["robustness"]
    assert {row["task"] for row in robustness["primary"]} == {"xnli"}
    answer = section(text, "## Answer to the research question")
    assert "The tagging targets (udpos, panx) are not in the primary comparisons" in answer
    assert "panx" not in answer.split("Primary comparisons")[0]  # no tagging verdict line
    tagging = section(text, "### Tagging targets: drop in sentence exact match")
    rows = [line for line in tagging.splitlines() if line.startswith(("| panx |", "| udpos |"))]
    assert len(rows) == 2  # one variant, one pair (multi vs none), per tagging task
    panx = next(line for line in rows if line.startswith("| panx |"))
    assert "| ru | zh |" in panx  # zh left out: none finds no entity there (F1 at no-skill)
    assert "Holm-corrected within this table only" in tagging
    exploratory = section(text, "### Exploratory: drop under each perturbation family")
    assert "| xnli |" in exploratory and "| panx |" not in exploratory
    assert robustness["tagging"]["tasks"] == ["udpos", "panx"]


def test_plots_name_the_metric_and_skip_attacks_not_run(
    built: tuple[str, dict], tmp_path: Path
) -> None:
    drops = (tmp_path / "plots" / "robustness_drop.csv").read_text(encoding="utf-8")
    assert drops.splitlines()[0].endswith(",metric")
    assert any(
        line.startswith("panx,") and line.endswith(",entity F1") for line in drops.splitlines()
    )
    budget = (tmp_path / "plots" / "attack_budget.csv").read_text(encoding="utf-8")
    assert "xnli," in budget and "panx," not in budget and "udpos," not in budget


def test_tagging_attacks_that_ran_are_read_in_the_metric_and_kept_apart(
    params: Params, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, summary = build(params, tmp_path, monkeypatch, tag_attacks=True)
    assert "Attacks not run" not in text
    panx = section(text, "### panx: zero-shot mean under attack and perturbation (%)")
    assert "| typo: F1 | typo: success | typo: queries |" in panx
    assert "### panx: entity F1 under attack by language and script (%)" in text
    assert "### udpos: word accuracy under attack by language and script (%)" in text
    assert {row["task"] for row in summary["robustness"]["primary"]} == {"xnli"}
    tagging = section(text, "### Tagging targets: drop in sentence exact match")
    assert "| panx | attack:typo | ru |" in tagging  # zh at no-skill for none: left out
    intro = section(text, "## Tagging targets: what their numbers are")
    assert "their comparisons under attack are on exact match in their own table" in intro
    budget = (tmp_path / "plots" / "attack_budget.csv").read_text(encoding="utf-8")
    assert any(
        line.startswith("panx,") and line.endswith(",entity F1") for line in budget.splitlines()
    )
    values = metric_values(read_json(tmp_path / paths.eval_metrics("multi", "panx", 0)))
    assert "attack typo · entity F1 under attack (zero-shot)" in values


def test_robustness_tables_read_a_tagging_run_alone() -> None:
    by_condition = {c: [tagging_run("panx", c)[0]] for c in CONDITIONS}
    assert language_table("panx", by_condition, {}) == []
    summary = attack_summary("panx", by_condition)
    header = next(line for line in summary if line.startswith("| condition"))
    assert header == "| condition | perturbations: mean drop | effective rate |"
    family = family_table("panx", by_condition)
    assert family[0].startswith("### panx: entity F1 drop")


# --- the evaluate command's line and the demo headline ---------------------------------------


def test_the_evaluate_line_names_the_metric() -> None:
    ner = {"metric": "f1", "f1": {"en": 0.5, "ru": 0.25}}
    assert clean_scores_line(ner) == "f1 en 50.0, ru 25.0"
    assert clean_scores_line({"accuracy": {"en": 0.8}}) == "accuracy en 80.0"


def test_headline_reads_a_tagging_run_in_its_metric(tmp_path: Path) -> None:
    ner = tagging_run("panx", "multi")[0]
    values = metric_values(ner)
    assert values["clean entity F1 · en"] == pytest.approx(ner["f1"]["en"])
    assert values["clean entity F1 · zero-shot mean"] == pytest.approx(ner["mean_zero_shot"])
    score = values[f"perturbed {VARIANT} · entity F1 (zero-shot)"]
    assert score == pytest.approx(ner["perturbations"][VARIANT]["mean_zero_shot"]["score"])
    assert not any(name.startswith("attack ") for name in values)
    assert not any("trials" in name or "chance" in name for name in values)
    write_json(tmp_path / "evaluate" / "multi" / "panx" / "seed0.json", ner)
    _, rows, note = headline_table(tmp_path, "panx", ["multi"], [0])
    assert rows and "entity F1 in %" in note
    assert f"attacks not run on this task: codeswitch, typo ({NOT_RUN})" in note
    assert read_json(tmp_path / "evaluate" / "multi" / "panx" / "seed0.json")["metric"] == "f1"
