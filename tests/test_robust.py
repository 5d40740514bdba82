"""RS-DA (randomized smoothing with data augmentation, Huang et al. 2021): the training copies
and the neighbours they draw from, as Robust-XLT's `perturb.py` makes them."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from xstilts.config import intermediate_condition, parse_params
from xstilts.errors import XstiltsError
from xstilts.examples import ChoiceExample, PairExample, TextExample
from xstilts.report.answer import drop_comparisons, primary_pairs
from xstilts.robust import neighbours as neighbour_source
from xstilts.robust.augment import augment, changed_share, copies_of, smooth_text
from xstilts.robust.neighbours import fetch_counterfitted, load_neighbours
from xstilts.sample.neighbours import english_neighbours

from .conftest import REPO, sample_profile
from .test_report_robustness import _frame

NEIGHBOURS = {"movie": ("film", "cinema"), "car": ("automobile",), "all": ("every",)}


def test_each_example_becomes_its_copies_with_only_neighbour_words_changed() -> None:
    example = PairExample("7", "en", "All good movie fans.", "A car, a movie!", 1)
    copies = copies_of(example, NEIGHBOURS, 10, seed=0)
    assert [c.id for c in copies] == [f"7~rsda{k}" for k in range(10)]
    assert {c.label for c in copies} == {1} and {c.lang for c in copies} == {"en"}
    seen_b = {c.text_b for c in copies}
    assert seen_b <= {
        f"A {car}, a {movie}!"
        for car in ("car", "automobile")
        for movie in ("movie", "film", "cinema")
    }
    assert len(seen_b) > 1  # ten draws over six possible texts
    # "All" is not a key (keys are as written; Robust-XLT looks words up as they are)
    assert {c.text_a.split()[0] for c in copies} == {"All"}
    assert copies == copies_of(example, NEIGHBOURS, 10, seed=0)  # seeded by (seed, id, copy)
    assert copies != copies_of(example, NEIGHBOURS, 10, seed=1)


def test_a_word_stays_with_probability_one_in_its_options() -> None:
    """Each word is a uniform draw from itself and its neighbours (it may stay)."""
    draws = [smooth_text("movie", NEIGHBOURS, random.Random(i)) for i in range(3000)]
    for option in ("movie", "film", "cinema"):
        assert abs(draws.count(option) / len(draws) - 1 / 3) < 0.04


def test_single_texts_are_smoothed_and_choice_examples_refused() -> None:
    (copy,) = copies_of(TextExample("1", "en", "my car", 0), {"car": ("auto",)}, 1, seed=3)
    assert copy.text in {"my car", "my auto"}
    choice = ChoiceExample("1", "en", "ctx", "q", ("a", "b"), 0)
    with pytest.raises(TypeError, match="sentences and sentence pairs"):
        copies_of(choice, NEIGHBOURS, 2, seed=0)


def test_augment_keeps_order_and_counts_changed_copies() -> None:
    examples = [PairExample(str(i), "en", "the car", "no match", 0) for i in range(20)]
    out = list(augment(examples, NEIGHBOURS, 3, seed=0))
    assert [c.id.split("~")[0] for c in out] == [str(i) for i in range(20) for _ in range(3)]
    assert 0 < changed_share(examples, out) < 1  # about half the copies draw "automobile"


def test_the_sample_worlds_neighbours_are_its_synonyms_in_every_inflection() -> None:
    shipped = json.loads((REPO / "data" / "neighbours" / "en.json").read_text(encoding="utf-8"))
    assert shipped == english_neighbours()
    assert shipped["car"] == ["automobile"] and shipped["cars"] == ["automobiles"]
    assert shipped["watches"] == ["sees"] and shipped["sees"] == ["watches"]


def test_the_counterfitted_download_is_checked_against_its_pinned_hash(
    tmp_path, monkeypatch
) -> None:
    served = tmp_path / "served.json"
    served.write_text(json.dumps({"movie": ["film"], "an": []}), encoding="utf-8")
    monkeypatch.setenv(neighbour_source.URL_ENV, served.as_uri())
    with pytest.raises(XstiltsError) as caught:
        fetch_counterfitted(tmp_path / "en.json")
    message = str(caught.value)
    digest = hashlib.sha256(served.read_bytes()).hexdigest()
    assert digest in message and neighbour_source.COUNTERFITTED_SHA256 in message
    assert "\n" not in message and not (tmp_path / "en.json").exists()
    # the same file under its own hash is accepted and read (words without neighbours dropped)
    monkeypatch.setattr(neighbour_source, "COUNTERFITTED_SHA256", digest)
    target = fetch_counterfitted(tmp_path / "en.json")
    assert load_neighbours(target) == {"movie": ("film",)}


def test_an_unreachable_source_is_one_line_pointing_to_the_sample_profile(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv(neighbour_source.URL_ENV, "http://127.0.0.1:9/counterfitted.json")
    with pytest.raises(XstiltsError) as caught:
        fetch_counterfitted(tmp_path / "en.json", timeout=2.0)
    message = str(caught.value)
    assert "\n" not in message and "sample profile" in message and "127.0.0.1:9" in message


def test_neighbours_of_another_shape_are_refused(tmp_path) -> None:
    bad = tmp_path / "en.json"
    bad.write_text(json.dumps({"movie": "film"}), encoding="utf-8")
    with pytest.raises(XstiltsError, match="word -> list of words"):
        load_neighbours(bad)


@pytest.mark.parametrize(
    ("rsda", "message"),
    [
        ({"conditions": ["mnli", "qnli"]}, "rsda.conditions: 'qnli' is not a condition"),
        ({"tasks": ["xnli", "xcopa"]}, "'xcopa' is not trained on its own sentences"),
        ({"tasks": ["udpos"]}, "'udpos' is not trained on its own sentences"),
        ({"copies": {"xnli": 3}}, "rsda.copies: no number of copies for 'pawsx'"),
        ({"copies": {"xnli": 0, "pawsx": 10}}, "greater than 0"),
        ({"conditions": ["none", "none"]}, "rsda.conditions: names a condition or task twice"),
    ],
)
def test_rsda_settings_are_checked_in_one_line(rsda: dict, message: str) -> None:
    raw = sample_profile()
    raw["rsda"] = {**raw["rsda"], **rsda}
    with pytest.raises(XstiltsError) as caught:
        parse_params(raw)
    assert message in str(caught.value)


def test_rsda_conditions_are_named_after_their_intermediate_condition() -> None:
    params = parse_params(sample_profile())
    assert params.rsda.names() == ("none+rsda", "multi+rsda")
    assert params.conditions_for("xnli")[-2:] == ("none+rsda", "multi+rsda")
    assert params.conditions_for("xcopa") == params.condition_names
    assert [intermediate_condition(c) for c in params.all_condition_names[-2:]] == [
        "none",
        "multi",
    ]


def test_a_comparison_pair_without_a_common_task_is_no_row_and_no_error() -> None:
    """With `none` alone and its RS-DA twin, a task the twin does not train (XCOPA here: every
    row is `none`'s) has no pair to compare: the comparison table is empty, not an error."""
    raw = sample_profile()
    raw["conditions"] = {"none": []}
    raw["rsda"] = {**raw["rsda"], "conditions": ["none"]}
    params = parse_params(raw)
    assert primary_pairs(params.all_condition_names) == [("none+rsda", "none")]
    frame = _frame(("none",))
    assert drop_comparisons(frame, params, ["typo@0.1"]).empty
