"""The generalized setting: a parallel pair target's pairs with their two texts in two languages.
Each example's second text is its own translation's (same id, same label) in every other
language, an id missing in a language pairs with nothing there, a label that differs between
languages stops the run, only parallel pair targets take part, and the evaluate stage keeps the
setting's metrics apart from the perturbations'."""

from __future__ import annotations

import pytest

from xstilts.config import Params, parse_params
from xstilts.errors import XstiltsError
from xstilts.evaluate.generalized import applies, generalized_records, is_generalized, partner_of
from xstilts.evaluate.perturbed_set import read_perturbed_set
from xstilts.examples import PairExample
from xstilts.plan import plan_runs

from .conftest import REPO, deep_update, sample_profile

TEXTS = {
    "en": ("Anna reads a book.", "Anna reads."),
    "ru": ("Анна читает книгу.", "Анна читает."),
    "zh": ("安娜读书。", "安娜在读。"),
}


def _pairs(ids: dict[str, list[str]], label: int = 0) -> list[PairExample]:
    return [
        PairExample(i, lang, f"{TEXTS[lang][0]} {i}", f"{TEXTS[lang][1]} {i}", label)
        for lang, lang_ids in ids.items()
        for i in lang_ids
    ]


def test_each_pair_meets_its_translation_in_every_other_language() -> None:
    examples = _pairs({"en": ["0", "1"], "ru": ["0", "1"], "zh": ["0"]})
    records = generalized_records(examples, seed=3)
    found = {(r["lang"], r["id"], r["partner"]) for r in records}
    assert found == {
        ("en", "0", "ru"),
        ("en", "0", "zh"),
        ("en", "1", "ru"),
        ("ru", "0", "en"),
        ("ru", "0", "zh"),
        ("ru", "1", "en"),
        ("zh", "0", "en"),
        ("zh", "0", "ru"),
    }  # fmt: skip   (id 1 has no zh text: it pairs with nothing there)
    clean = {(e.lang, e.id): e for e in examples}
    rebuilt = read_perturbed_set(records, clean)
    assert sorted(rebuilt) == ["generalized@en", "generalized@ru", "generalized@zh"]
    ru_first = next(p for p in rebuilt["generalized@zh"] if p.clean.lang == "ru")
    assert ru_first.perturbed.text_a == "Анна читает книгу. 0"
    assert ru_first.perturbed.text_b == "安娜在读。 0"
    assert ru_first.perturbed.label == ru_first.clean.label
    record = records[0]
    assert record["edits"] == {"text_b": [[0, len("Anna reads. 0"), "Анна читает. 0"]]}
    assert record["units"] == record["edited"] == 1 and record["seed"] == 3
    assert all(is_generalized(r["variant"]) and partner_of(r["variant"]) == r["partner"]
               for r in records)  # fmt: skip


def test_a_label_that_differs_between_languages_stops_the_run() -> None:
    examples = _pairs({"en": ["0"]}, label=0) + _pairs({"ru": ["0"]}, label=2)
    with pytest.raises(XstiltsError, match="not translations of one another"):
        generalized_records(examples, seed=0)


def test_only_parallel_pair_targets_take_part(tiny_params: Params) -> None:
    assert applies(tiny_params, "xnli") and applies(tiny_params, "pawsx")
    assert not applies(tiny_params, "xcopa") and not applies(tiny_params, "udpos")
    off = parse_params(deep_update(sample_profile(), {"robustness": {"generalized": False}}))
    assert not applies(off, "xnli")


def test_the_plan_counts_the_generalized_pairs() -> None:
    """Full profile: XNLI's evaluate runs predict 14 more pairs per perturbed example, XCOPA's
    nothing more."""
    import yaml

    raw = yaml.safe_load((REPO / "profiles" / "full.yaml").read_text(encoding="utf-8"))
    on = parse_params(raw)
    off = parse_params(deep_update(raw, {"robustness": {"generalized": False}}))

    def hours(params: Params, task: str) -> float:
        runs = plan_runs(params)
        return sum(r.gpu_hours for r in runs if r.stage == "evaluate" and r.task == task)

    assert hours(on, "xnli") > hours(off, "xnli")
    assert hours(on, "xcopa") == hours(off, "xcopa")
