"""The sample world's retrieval sets (Tatoeba- and BUCC-shaped) and the readers of both formats."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from xstilts.errors import XstiltsError
from xstilts.retrieval.sources import bucc_folder, read_bucc_split, tatoeba_pairs
from xstilts.sample.vocabulary import NAMES
from xstilts.sample.world import generate_world
from xstilts.sample.world_config import SampleWorldConfig

from .test_sample_world import SMALL

LANGUAGES = ("vi", "ru", "ar", "hi", "zh")
WORD = re.compile(r"[A-Za-z]+")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("world")
    generate_world(root, SampleWorldConfig(**SMALL))
    return root


def _tatoeba(root: Path) -> dict[str, dict[str, list[str]]]:
    lines = (root / "retrieval/tatoeba/test.jsonl").read_text(encoding="utf-8").splitlines()
    return tatoeba_pairs([json.loads(line) for line in lines], LANGUAGES)


def _names(sentence: str) -> set[str]:
    return {word for word in WORD.findall(sentence) if word in NAMES}


def _retrieval_sentences(root: Path) -> set[str]:
    sentences = set()
    for pairs in _tatoeba(root).values():
        for side in pairs.values():
            sentences.update(side)
    for lang in LANGUAGES:
        for split in ("dev", "test"):
            mined = read_bucc_split(root / "retrieval", lang, split)
            sentences.update(text for _, text in [*mined.source, *mined.target])
    return sentences


def test_no_retrieval_sentence_is_pretraining_text(world: Path) -> None:
    corpus = set()
    for path in (world / "corpus").rglob("*.t*"):
        for line in path.read_text(encoding="utf-8").splitlines():
            corpus.update(line.split("\t"))
    sentences = _retrieval_sentences(world)
    assert len(sentences) > 1000
    assert sentences.isdisjoint(corpus)


def test_tatoeba_pairs_are_translations_without_repeats(world: Path) -> None:
    sets = _tatoeba(world)
    assert sorted(sets) == sorted(LANGUAGES)
    for lang, pairs in sets.items():
        english, translated = pairs["en"], pairs[lang]
        assert len(english) == len(translated) == SMALL["tatoeba_pairs"]
        assert len(set(english)) == len(english) and len(set(translated)) == len(translated)
        # names are written alike in every language: a pair names the same people
        assert all(_names(a) == _names(b) for a, b in zip(english, translated, strict=True))
        shifted = zip(english, translated[1:] + translated[:1], strict=True)
        assert sum(_names(a) != _names(b) for a, b in shifted) > len(english) // 2


def test_bucc_splits_hide_gold_pairs_among_distractors(world: Path) -> None:
    ratio = SMALL["bucc_distractor_ratio"]
    for lang in LANGUAGES:
        assert sorted(p.name for p in bucc_folder(world / "retrieval", lang).iterdir()) == sorted(
            f"{lang}-en.{split}.{side}"
            for split in ("sample", "training")
            for side in (lang, "en", "gold")
        )
        for split, pairs in (("dev", SMALL["bucc_dev_pairs"]), ("test", SMALL["bucc_test_pairs"])):
            mined = read_bucc_split(world / "retrieval", lang, split)
            assert len(mined.source) == len(mined.target) == pairs * (1 + ratio)
            assert len(mined.gold) == pairs
            assert all(i.startswith(f"{lang}-") for i, _ in mined.source)
            assert [i for i, _ in mined.target] == sorted(i for i, _ in mined.target)
            source, target = dict(mined.source), dict(mined.target)
            assert all(_names(source[a]) == _names(target[b]) for a, b in mined.gold)
            gold_ids = sorted(i for i, _ in mined.source if i in {a for a, _ in mined.gold})
            assert gold_ids != [i for i, _ in mined.source][:pairs], "gold hides in the corpus"


def _write(folder: Path, name: str, lines: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


@pytest.mark.parametrize(
    ("source", "gold", "message"),
    [
        (["de-1\tHallo", "de-1\tWelt"], ["de-1\ten-1"], "ID de-1 occurs twice"),
        (["de-1\tHallo"], ["de-1\ten-9"], "gold ID en-9 is in no sentence file"),
        (["de-1 Hallo"], ["de-1\ten-1"], "expected `ID<TAB>text`"),
    ],
)
def test_bad_bucc_files_are_one_line(
    tmp_path: Path, source: list[str], gold: list[str], message: str
) -> None:
    folder = bucc_folder(tmp_path, "de")
    _write(folder, "de-en.sample.de", source)
    _write(folder, "de-en.sample.en", ["en-1\tHello"])
    _write(folder, "de-en.sample.gold", gold)
    with pytest.raises(XstiltsError, match=re.escape(message)):
        read_bucc_split(tmp_path, "de", "dev")
    with pytest.raises(XstiltsError, match="missing"):
        read_bucc_split(tmp_path, "de", "test")


def test_tatoeba_rows_as_the_hub_has_them() -> None:
    rows = [
        {"sentence1": "Haar Engels is uitstekend.\n", "sentence2": "Her English is excellent.\n",
         "lang": "afr-eng"},
        {"sentence1": "我们试试。\n", "sentence2": "Let's try.\n", "lang": "cmn-eng"},
        {"sentence1": "Hola.\n", "sentence2": "Hello.\n", "lang": "spa-eng"},
    ]  # fmt: skip
    sets = tatoeba_pairs(rows, ["af", "zh"])
    assert sets == {
        "af": {"en": ["Her English is excellent."], "af": ["Haar Engels is uitstekend."]},
        "zh": {"en": ["Let's try."], "zh": ["我们试试。"]},
    }
    with pytest.raises(XstiltsError, match=r"no rows for \['de'\]"):
        tatoeba_pairs(rows, ["af", "de"])
    with pytest.raises(XstiltsError, match="no Tatoeba code"):
        tatoeba_pairs(rows, ["xx"])
    with pytest.raises(XstiltsError, match="no field 'lang'"):
        tatoeba_pairs([{"sentence1": "a", "sentence2": "b"}], ["af"])
