"""The tagging attack: it lowers a fragile tagger's score, never a constant one's, keeps its
budgets and carries the gold tags with the words it changes."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from xstilts.attack import AttackBudget
from xstilts.attack.tagging import TaggingAttacker
from xstilts.evaluate.tagging_attack import run_tag_attack, summarize_tag_attack
from xstilts.examples import TaggedExample
from xstilts.perturb import Resources, build_families
from xstilts.tag_metrics import tag_counts
from xstilts.tasks import get_task

LEXICONS = Path(__file__).resolve().parents[1] / "data" / "lexicon"
NER = get_task("panx").labels
NAMES = {"Ana", "Omar", "Лена", "रवि"}


class NameTagger:
    """A fragile tagger: B-PER exactly for words it knows as names (a typo hides a name)."""

    def __init__(self) -> None:
        self.inputs = 0

    def __call__(self, examples: list[TaggedExample]) -> list[np.ndarray]:
        self.inputs += len(examples)
        out = []
        for example in examples:
            probs = np.full((len(example.words), len(NER)), 0.01)
            for i, word in enumerate(example.words):
                probs[i, NER.index("B-PER") if word in NAMES else 0] = 0.9
            out.append(probs)
        return out


class ConstantTagger(NameTagger):
    def __call__(self, examples: list[TaggedExample]) -> list[np.ndarray]:
        return [np.tile(np.eye(len(NER))[0], (len(e.words), 1)) for e in examples]


def sentence(index: str, lang: str, words: str) -> TaggedExample:
    parts = tuple(words.split())
    tags = tuple(NER.index("B-PER") if w in NAMES else 0 for w in parts)
    return TaggedExample(index, lang, parts, tags)


SENTENCES = [
    sentence("1", "en", "Ana sees the dog and Omar ."),
    sentence("2", "ru", "Лена видит собаку ."),
    sentence("3", "hi", "रवि कुत्ता देखता है ."),
]


def tag_attacker(model, names=("keyboard", "char_swap", "char_delete")) -> TaggingAttacker:
    families = build_families(names, Resources(lexicon_dir=LEXICONS))
    return TaggingAttacker(families, model, NER, "f1")


def clean_pred(model, examples):
    return {
        (e.lang, e.id): p.argmax(axis=-1).tolist()
        for e, p in zip(examples, model(examples), strict=True)
    }


def test_the_attack_hides_names_from_a_fragile_tagger_and_carries_the_tags() -> None:
    model = NameTagger()
    attacker = tag_attacker(model)
    budget = AttackBudget(max_unit_fraction=0.5, max_queries=80, candidates_per_unit=3)
    jobs = [(e, e.lang, random.Random(0)) for e in SENTENCES]
    results = attacker.attack_many(jobs, budget)
    for example, result in zip(SENTENCES, results, strict=True):
        assert result.succeeded, example
        assert result.final.score is not None and result.final.score < 1.0
        # the gold tags still belong to the same words: a typo keeps its word's tag
        assert len(result.adversarial.words) == len(example.words)
        assert result.adversarial.tags == example.tags
        changed = [
            i
            for i, (a, b) in enumerate(zip(example.words, result.adversarial.words, strict=True))
            if a != b
        ]
        assert changed and all(example.words[i] in NAMES for i in changed)  # names first
        assert result.perturbed_units <= budget.max_changes(result.total_units)
        assert result.queries <= budget.max_queries
        pred = model([result.adversarial])[0].argmax(axis=-1).tolist()
        counts = tag_counts("f1", list(result.adversarial.tags), pred, NER)
        assert counts == result.final and list(result.adversarial_pred) == pred


def test_a_constant_tagger_is_never_attacked_successfully() -> None:
    model = ConstantTagger()
    rows = run_tag_attack(
        "typo",
        tag_attacker(model),
        AttackBudget(max_unit_fraction=0.5, max_queries=40),
        SENTENCES,
        clean_pred(model, SENTENCES),
        seed=0,
    )
    # the constant tagger finds no name: its F1 is 0 everywhere, nothing to lower
    assert [r["attacked"] for r in rows] == [False, False, False]
    assert not any(r["flipped"] for r in rows)


def test_rows_and_summary_of_an_attack_run() -> None:
    model = NameTagger()
    rows = run_tag_attack(
        "typo",
        tag_attacker(model),
        AttackBudget(max_unit_fraction=0.5, max_queries=80, candidates_per_unit=3),
        SENTENCES,
        clean_pred(model, SENTENCES),
        seed=0,
    )
    assert all(r["attacked"] and r["flipped"] and not r["correct"] for r in rows)
    again = run_tag_attack(
        "typo",
        tag_attacker(NameTagger()),
        AttackBudget(max_unit_fraction=0.5, max_queries=80, candidates_per_unit=3),
        SENTENCES,
        clean_pred(model, SENTENCES),
        seed=0,
    )
    assert again == rows  # seeded: the same run twice
    summary = summarize_tag_attack(rows, (0.1, 0.5))
    english = summary["languages"]["en"]
    assert english["clean_score"] == pytest.approx(1.0)
    assert english["score"] < english["clean_score"]
    assert english["drop"] == pytest.approx(english["clean_score"] - english["score"])
    assert english["success_rate"] == 1.0
    # a budget of 10% of six words allows one change: at least the first step's score
    assert english["score_at_budget"]["0.1"] >= english["score"]
    assert english["score_at_budget"]["0.5"] == pytest.approx(english["score"])
    assert summary["n_zero_shot"]["score"] == 2


def test_a_language_no_family_supports_is_flagged_not_applicable() -> None:
    model = NameTagger()
    families = build_families(("codeswitch",), Resources(lexicon_dir=LEXICONS))
    attacker = TaggingAttacker(families, model, NER, "f1")
    unknown = [sentence("9", "xx", "Ana sees Omar .")]
    rows = run_tag_attack(
        "codeswitch", attacker, AttackBudget(), unknown, clean_pred(model, unknown), seed=0
    )
    assert rows[0]["not_applicable"] and not rows[0]["attacked"]
    assert summarize_tag_attack(rows, (0.2,))["not_applicable"] == ["xx"]
