"""The retrieval stages' library side: the sets read once from their sources (the sample world,
or Tatoeba through the real hub loader), and one encoder's Tatoeba and BUCC scores with their
per-query rows (clean, perturbed, attacked)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch

from xstilts.cli import main
from xstilts.config import parse_params
from xstilts.errors import XstiltsError
from xstilts.io import read_json, read_jsonl
from xstilts.modeling.model import load_encoder, load_tokenizer
from xstilts.perturb import Resources, build_families
from xstilts.rehearsal.rows import tatoeba_rows
from xstilts.retrieval.evaluation import QueryRobustness, tatoeba_scores
from xstilts.retrieval.sets import (
    XTREME_R_TATOEBA,
    read_bucc,
    read_tatoeba,
    retrieval_languages,
    write_sets,
)
from xstilts.retrieval.sources import read_bucc_split, tatoeba_pairs

from .conftest import REPO, deep_update, sample_profile
from .test_hub_tasks import full_params, serve_hub  # noqa: F401 (a fixture)

DATA = REPO / "data"
TATOEBA = "mteb/tatoeba-bitext-mining"


def sample_params(updates: dict | None = None):
    return parse_params(deep_update(sample_profile(), updates or {}))


def test_sample_sets_are_the_sources_rows(tmp_path) -> None:
    """Every sample language's Tatoeba pairs and BUCC splits, as the readers give them."""
    params = sample_params()
    summary = write_sets(params, tmp_path / "sets", DATA)
    languages = [lang for lang in params.sample_world.languages if lang != "en"]
    assert retrieval_languages(params, "tatoeba") == tuple(languages)
    assert set(summary) == {f"tatoeba.{x}.jsonl" for x in languages} | {
        f"bucc.{x}.json" for x in languages
    }
    rows = read_jsonl(DATA / "retrieval/tatoeba/test.jsonl")
    expected = tatoeba_pairs(rows, languages)
    for lang in languages:
        assert read_tatoeba(tmp_path / "sets", lang) == expected[lang]
        splits = read_bucc(tmp_path / "sets", lang)
        for name in ("dev", "test"):
            source = read_bucc_split(DATA / "retrieval", lang, name)
            assert list(splits[name].source) == list(source.source)
            assert set(splits[name].gold) == set(source.gold)
    assert summary["bucc.ru.json"]["test_gold"] == params.sample_world.bucc_test_pairs
    assert read_json(tmp_path / "sets" / "summary.json") == summary


def test_no_retrieval_task_writes_no_set(tmp_path) -> None:
    summary = write_sets(sample_params({"retrieval": {"tasks": []}}), tmp_path / "sets", DATA)
    assert summary == {} and [p.name for p in (tmp_path / "sets").iterdir()] == ["summary.json"]


def test_full_profile_reads_tatoeba_through_the_hub_loader(tmp_path, serve_hub) -> None:  # noqa: F811
    """mteb/tatoeba-bitext-mining at its pinned revision, in XTREME-R's languages that
    `data.languages` keeps; the line breaks the rows keep are gone."""
    calls = serve_hub({TATOEBA: tatoeba_rows(3)})
    params = full_params(tmp_path)  # data.languages: en, de, sw, et, zh
    assert params.retrieval.tasks == ("tatoeba",)
    summary = write_sets(params, tmp_path / "sets", tmp_path)
    kept = tuple(lang for lang in XTREME_R_TATOEBA if lang in ("de", "sw", "et", "zh"))
    assert retrieval_languages(params, "tatoeba") == kept
    assert set(summary) == {f"tatoeba.{x}.jsonl" for x in kept}
    assert calls == [(TATOEBA, None, "test", "69e8f12da6e31d59addadda9a9c8a2e601a0e282")]
    pairs = read_tatoeba(tmp_path / "sets", "sw")
    assert len(pairs["en"]) == 3 and not any(s.endswith("\n") for s in pairs["en"] + pairs["sw"])
    assert "69e8f12da6e31d59addadda9a9c8a2e601a0e282" in summary["tatoeba.sw.jsonl"]["source"]


def test_full_profile_tatoeba_with_a_language_missing_is_one_line(tmp_path, serve_hub) -> None:  # noqa: F811
    serve_hub({TATOEBA: [r for r in tatoeba_rows(2) if r["lang"] != "swh-eng"]})
    with pytest.raises(XstiltsError) as caught:
        write_sets(full_params(tmp_path), tmp_path / "sets", tmp_path)
    assert "\n" not in str(caught.value) and "['sw']" in str(caught.value)
    assert not (tmp_path / "sets").exists()


def test_full_profile_refuses_bucc_in_one_line(tmp_path) -> None:
    with pytest.raises(XstiltsError) as caught:
        full_params(tmp_path, {"retrieval": {"tasks": ["tatoeba", "bucc"]}})
    message = str(caught.value)
    assert "\n" not in message and "bucc" in message and "dev split" in message


def test_unreachable_hub_stops_the_retrieval_sets_in_seconds(tmp_path, monkeypatch, capsys):
    from huggingface_hub import constants

    full_params(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    started = time.monotonic()
    assert main(["retrieval-sets"]) == 2
    assert time.monotonic() - started < 15
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "cannot reach the Hugging Face hub" in err and TATOEBA in err
    assert not (tmp_path / "retrieval_sets").exists()


@pytest.fixture(scope="module")
def base_encoder():
    return load_encoder(REPO / "pretrained").eval(), load_tokenizer(REPO / "pretrained")


def robustness(tokenizer, families=("char_swap", "codeswitch"), attacks=True, limit=20):
    from xstilts.attack import AttackBudget

    resources = Resources(lexicon_dir=DATA / "lexicon", tokenizer=tokenizer)
    budget = AttackBudget(0.2, 40, 1, 2)
    return QueryRobustness(
        families=build_families(families, resources),
        strengths=(0.2,),
        max_examples=limit,
        attacks={"typo": (build_families(["char_swap"], resources), budget)} if attacks else {},
        attack_examples=8,
    )


def scores_without_attacks(base_encoder, sets, families=()):
    """`tatoeba_scores` with `families` at strength 0.2 and no attack."""
    encoder, tokenizer = base_encoder
    checks = robustness(tokenizer, families=families, attacks=False)
    return tatoeba_scores(encoder, tokenizer, sets, checks, 0, max_length=64, batch_size=8)


def test_tatoeba_scores_rows_match_metrics(base_encoder) -> None:
    """The base encoder finds Russian translations far above chance; the rows count what the
    metrics say, a perturbed query is scored only where the tokenizer sees the change, and an
    attacked query's rank is its translation's after the attack."""
    encoder, tokenizer = base_encoder
    sets = {"ru": tatoeba_pairs(read_jsonl(DATA / "retrieval/tatoeba/test.jsonl"), ["ru"])["ru"]}
    metrics, rows = tatoeba_scores(
        encoder, tokenizer, sets, robustness(tokenizer), 0, max_length=128, batch_size=64
    )
    assert metrics["to_english"]["ru"] > 0.3 and metrics["from_english"]["ru"] > 0.3
    assert metrics["pairs"]["ru"] == 300 and metrics["skipped"]["ru"] == 0
    clean = [r for r in rows if r["variant"] == "clean"]
    assert len(clean) == 300
    assert sum(r["correct"] for r in clean) / 300 == pytest.approx(metrics["to_english"]["ru"])
    swapped = [r for r in rows if r["variant"] == "char_swap@0.2"]
    assert len(swapped) == 20 and all("text" in r for r in swapped)
    scores = metrics["perturbations"]["char_swap@0.2"]["ru"]
    effective = [r for r in swapped if r["effective"]]
    assert scores["effective"] == len(effective)
    assert scores["accuracy"] == pytest.approx(
        sum(r["correct"] for r in effective) / len(effective)
    )
    attacked = [r for r in rows if r["variant"] == "attack:typo"]
    assert len(attacked) == 8
    found = [r for r in attacked if r["attacked"]]
    clean_first = [r["correct"] for r in clean[:8]]
    assert len(found) == sum(clean_first) > 0
    assert all(r["correct"] == (r["rank"] == 1) for r in found)
    summary = metrics["attacks"]["typo"]["ru"]
    assert summary["attacked"] == len(found)
    assert summary["accuracy"] <= summary["clean_accuracy"]


def test_a_family_without_the_language_flags_its_rows(base_encoder) -> None:
    """Code-switching has no lexicon for this language: its rows say not applicable and its
    metrics name no accuracy, instead of counting as queries nothing hurts."""
    sentences = ["один два три", "четыре пять", "шесть семь восемь"]
    sets = {"xx": {"en": ["one two three", "four five", "six seven eight"], "xx": sentences}}
    metrics, rows = scores_without_attacks(base_encoder, sets, families=("codeswitch",))
    switched = [r for r in rows if r["variant"] == "codeswitch@0.2"]
    assert len(switched) == 3 and all(r["not_applicable"] for r in switched)
    assert metrics["perturbations"]["codeswitch@0.2"]["xx"] == {"applicable": False, "examples": 3}


def test_an_empty_sentence_is_counted_and_left_out(base_encoder) -> None:
    sets = {"ru": {"en": ["a cat", "", "a dog"], "ru": ["кошка", "ничего", " "]}}
    metrics, rows = scores_without_attacks(base_encoder, sets)
    assert metrics["pairs"]["ru"] == 1 and metrics["skipped"]["ru"] == 2
    assert [r["id"] for r in rows] == ["0"]


def test_a_set_with_sides_of_different_lengths_is_one_line(base_encoder) -> None:
    sets = {"ru": {"en": ["a cat", "a dog"], "ru": ["кошка"]}}
    with pytest.raises(XstiltsError) as caught:
        scores_without_attacks(base_encoder, sets)
    assert "\n" not in str(caught.value) and "ru has 1 sentences" in str(caught.value)


def test_length_sorted_batches_give_each_sentence_its_own_vector(base_encoder) -> None:
    """Encoding sorts sentences by length for less padding; the rows come back in input order
    and match each sentence encoded alone."""
    from xstilts.retrieval.embeddings import sentence_vectors

    encoder, tokenizer = base_encoder
    texts = ["a very long sentence about a cat and a dog and a boat", "hi", "a cat", "x y z w"]
    together = sentence_vectors(encoder, tokenizer, texts, layer=4, batch_size=2)
    alone = torch.cat([sentence_vectors(encoder, tokenizer, [t], layer=4) for t in texts])
    assert torch.allclose(together, alone, atol=1e-5)


def test_retrieval_sets_missing_is_one_line(tmp_path) -> None:
    with pytest.raises(XstiltsError) as caught:
        read_tatoeba(Path(tmp_path), "ru")
    assert "dvc repro retrieval_sets" in str(caught.value)


def test_candidates_perturbed_as_an_option(base_encoder) -> None:
    """With `candidates`, each variant's English side is perturbed too (its own generators):
    the queries are the same as without, the rows hold the changed translations, and a row is
    effective when either side changed."""
    encoder, tokenizer = base_encoder
    rows = read_jsonl(DATA / "retrieval/tatoeba/test.jsonl")
    sets = {"ru": tatoeba_pairs(rows, ["ru"])["ru"]}
    found = {}
    for candidates in (False, True):
        checks = robustness(tokenizer, families=("char_swap",), attacks=False)
        checks = QueryRobustness(**{**vars(checks), "candidates": candidates})
        found[candidates] = tatoeba_scores(
            encoder, tokenizer, sets, checks, 0, max_length=128, batch_size=64
        )[1]
    plain, both = ([r for r in found[c] if r["variant"] == "char_swap@0.2"] for c in (False, True))
    assert [r["text"] for r in plain] == [r["text"] for r in both]
    assert "candidate" not in plain[0]
    english = sets["ru"]["en"]
    changed = [r for r in both if r["candidate"] != english[int(r["id"])]]
    assert len(changed) >= len(both) // 2
    assert all(r["effective"] for r in changed)
    assert [r for r in found[True] if r["variant"] == "clean"] == [
        r for r in found[False] if r["variant"] == "clean"
    ]
