"""The demo's Retrieval view: each condition's encoder's nearest English sentences for a query,
clean and perturbed, with its input checks and one lock per encoder."""

from __future__ import annotations

import argparse
import json
import threading

import pytest

from xstilts.config import parse_params
from xstilts.demo.inputs import InputError
from xstilts.demo.retrieval import RetrievalDemo, load_models, pool_sentences
from xstilts.io import read_jsonl
from xstilts.retrieval.sets import write_sets

from .conftest import REPO, deep_update, sample_profile

DATA = REPO / "data"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The tracked sample encoder as the `none` condition (and a second name for it), over the
    English sentences of the sample world's Tatoeba-shaped sets."""
    root = tmp_path_factory.mktemp("run")
    params = parse_params(deep_update(sample_profile(), {"retrieval": {"tasks": ["tatoeba"]}}))
    write_sets(params, root / "retrieval_sets", DATA)
    for condition in ("none", "same"):
        folder = root / "intermediate" / condition / "seed0"
        folder.mkdir(parents=True)
        (folder / "meta.json").write_text(json.dumps({"encoder": None}), encoding="utf-8")
    pool = pool_sentences(root / "retrieval_sets")
    runs = [("none", 0), ("same", 0)]
    models = load_models(root / "intermediate", REPO / "pretrained", pool, runs, 128)
    return RetrievalDemo(models, pool, DATA / "lexicon"), root


def russian_pairs(count: int) -> list[dict]:
    rows = read_jsonl(DATA / "retrieval/tatoeba/test.jsonl")
    return [r for r in rows if r["lang"] == "rus-eng"][:count]


def test_queries_find_their_translations_among_every_languages_sentences(demo) -> None:
    """The pool holds every sample language's English sentences (1,500); the base encoder
    still puts many Russian queries' translations first, and both names of one encoder agree."""
    view, _ = demo
    assert len(view.pool) > 1000
    found = 0
    for pair in russian_pairs(20):
        answer = view.search(
            pair["sentence1"], "ru", ["none · seed0", "same · seed0"], "char_swap", 0.0, 0
        )
        assert answer.clean["none · seed0"] == answer.clean["same · seed0"]
        assert answer.perturbed == answer.query  # strength 0 changes nothing
        found += answer.clean["none · seed0"][0].sentence == pair["sentence2"].strip()
    assert found >= 5  # chance: 20 / 1,500


def test_a_perturbed_query_is_shown_with_what_it_retrieves(demo) -> None:
    view, _ = demo
    pair = russian_pairs(1)[0]
    answer = view.search(pair["sentence1"], "auto", ["none · seed0"], "keyboard", 0.5, 3, 3)
    assert answer.language == "ru" and answer.perturbed != answer.query and answer.effective
    (row,) = answer.rows()
    assert row[0] == "none · seed0" and row[3] in ("yes", "⚠ no")
    assert len(answer.clean["none · seed0"]) == 3 and len(answer.changed["none · seed0"]) == 3
    again = view.search(pair["sentence1"], "ru", ["none · seed0"], "keyboard", 0.5, 3, 3)
    assert again.perturbed == answer.perturbed  # seeded


@pytest.mark.parametrize(
    ("query", "models", "family", "strength", "k", "names"),
    [
        ("", ["none · seed0"], "char_swap", 0.1, 5, "Query is empty"),
        ("кошка", [], "char_swap", 0.1, 5, "no model selected"),
        ("кошка", ["../../etc"], "char_swap", 0.1, 5, "not loaded"),
        ("кошка", ["none · seed0"], "rot13", 0.1, 5, "unknown family"),
        ("кошка", ["none · seed0"], "char_swap", 1.5, 5, "strength"),
        ("кошка", ["none · seed0"], "char_swap", 0.1, 500, "candidates"),
    ],
)
def test_bad_input_is_one_line(demo, query, models, family, strength, k, names) -> None:
    view, _ = demo
    with pytest.raises(InputError) as caught:
        view.search(query, "ru", models, family, strength, 0, k)
    assert names in str(caught.value) and "\n" not in str(caught.value)


def test_requests_side_by_side_answer_as_one_at_a_time(demo) -> None:
    """Each encoder's lock covers its model and its tokenizer: threads get the answers a
    single caller gets."""
    view, _ = demo
    pairs = russian_pairs(6)
    expected = [
        view.search(p["sentence1"], "ru", ["none · seed0"], "char_swap", 0.3, 1).clean
        for p in pairs
    ]
    results: list = [None] * len(pairs)

    def ask(i: int) -> None:
        results[i] = view.search(
            pairs[i]["sentence1"], "ru", ["none · seed0"], "char_swap", 0.3, 1
        ).clean

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(pairs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == expected


def test_the_app_says_why_the_tab_is_empty_before_a_run(tmp_path) -> None:
    import runpy

    app = runpy.run_path(str(REPO / "app" / "main.py"), run_name="xstilts_app_test")
    args = argparse.Namespace(
        retrieval_sets=str(tmp_path / "none"), encoders=str(tmp_path / "none"), base="x"
    )
    message = app["build_retrieval"](args, (None, None), 128)
    assert isinstance(message, str) and "make repro" in message
    # sets without a Tatoeba file, or conditions without the asked seed: a line, no crash
    (tmp_path / "sets").mkdir()
    (tmp_path / "encoders" / "none" / "seed0").mkdir(parents=True)
    args.retrieval_sets, args.encoders = str(tmp_path / "sets"), str(tmp_path / "encoders")
    assert "no intermediate model" in app["build_retrieval"](args, (None, [3]), 128).lower()
    assert "no Tatoeba sets" in app["build_retrieval"](args, (None, None), 128)
