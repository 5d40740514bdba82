"""Behaviour of the offline sample world generator (small configs, a few seconds in all)."""

from __future__ import annotations

import collections
import json
import unicodedata
from pathlib import Path

import pytest
import regex

from xstilts.sample.vocabulary import NAMES, build_lexicon
from xstilts.sample.world import generate_world
from xstilts.sample.world_config import SampleWorldConfig

SMALL = dict(
    corpus_sentences=200,
    parallel_pairs=50,
    qqp_train=50,
    mnli_train=60,
    race_train=40,
    xnli_train=60,
    pawsx_train=50,
    xcopa_train=40,
    dev_size=40,
    test_size=60,
    tatoeba_pairs=40,
    bucc_dev_pairs=10,
    bucc_test_pairs=20,
    bucc_distractor_ratio=3,
)
TARGETS = {
    "xnli": {"premise": str, "hypothesis": str, "label": int},
    "pawsx": {"id": int, "sentence1": str, "sentence2": str, "label": int},
    "xcopa": {
        "premise": str,
        "choice1": str,
        "choice2": str,
        "question": str,
        "idx": int,
        "label": int,
        "changed": bool,
    },
}
INTERMEDIATE = {
    "qqp/train.jsonl": {"question1": str, "question2": str, "label": int, "idx": int},
    "mnli/validation_matched.jsonl": {"premise": str, "hypothesis": str, "label": int, "idx": int},
    "race/train.jsonl": {
        "example_id": str,
        "article": str,
        "question": str,
        "options": list,
        "answer": str,
    },
}
LABELS = {
    "qqp": {0, 1},
    "mnli": {0, 1, 2},
    "xnli": {0, 1, 2},
    "pawsx": {0, 1},
    "xcopa": {0, 1},
    "race": set("ABCD"),
}
NAME_RE = regex.compile(r"(?<![A-Za-z])(?:" + "|".join(NAMES) + r")(?![A-Za-z])")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("world")
    return out, generate_world(out, SampleWorldConfig(**SMALL))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


TEXT_FIELDS = {
    "question1",
    "question2",
    "premise",
    "hypothesis",
    "sentence1",
    "sentence2",
    "choice1",
    "choice2",
    "article",
    "options",
}


def texts(row: dict) -> list[str]:
    """Every natural-language string of a row (RACE questions included, XCOPA's type not)."""
    out = []
    for key, value in row.items():
        if key in TEXT_FIELDS or (key == "question" and "options" in row):
            out += value if isinstance(value, list) else [value]
    return out


def non_text(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in TEXT_FIELDS}


def test_deterministic_and_seeded(world: tuple[Path, dict], tmp_path: Path) -> None:
    root, _ = world
    generate_world(tmp_path / "again", SampleWorldConfig(**SMALL))
    assert tree(tmp_path / "again") == tree(root)
    generate_world(tmp_path / "other", SampleWorldConfig(seed=1, **SMALL))
    other = tree(tmp_path / "other")
    assert other.keys() == tree(root).keys()
    assert other["tasks/xnli/vi/test.jsonl"] != tree(root)["tasks/xnli/vi/test.jsonl"]


def test_manifest_lists_every_file(world: tuple[Path, dict]) -> None:
    root, manifest = world
    assert json.loads((root / "world.json").read_text(encoding="utf-8")) == manifest
    written = {k for k in tree(root) if k != "world.json"}
    assert set(manifest["files"]) == written
    for rel, count in manifest["files"].items():
        data = (root / rel).read_text(encoding="utf-8")
        assert data.endswith("\n") and len(data.splitlines()) == count
    assert manifest["files"]["corpus/hi.txt"] == SMALL["corpus_sentences"]
    assert manifest["files"]["corpus/parallel/en-zh.tsv"] == SMALL["parallel_pairs"]


def scripts_of(text: str) -> set[str]:
    return {unicodedata.name(ch).split()[0] for ch in text if ch.isalpha()}


def test_languages_scripts_and_spacing(world: tuple[Path, dict]) -> None:
    root, manifest = world
    langs = manifest["languages"]
    assert len(langs) >= 6
    main_scripts = set()
    for lang, info in langs.items():
        rows = read_jsonl(root / f"tasks/xnli/{lang}/test.jsonl")
        sentences = [t for r in rows for t in texts(r)]
        found = collections.Counter(s for t in sentences for s in scripts_of(t))
        if info["script"] != "Latin":
            del found["LATIN"]  # names are written in Latin letters everywhere
        main_scripts.add(found.most_common(1)[0][0])
        has_space = any(" " in t for t in sentences)
        assert has_space == info["spaced"], lang
    assert len(main_scripts) >= 5, main_scripts
    assert [lang for lang, info in langs.items() if not info["spaced"]] == ["zh"]


def test_target_tests_are_parallel(world: tuple[Path, dict]) -> None:
    root, manifest = world
    for task in TARGETS:
        en = read_jsonl(root / f"tasks/{task}/en/test.jsonl")
        assert len(en) == SMALL["test_size"]
        for lang in manifest["languages"]:
            rows = read_jsonl(root / f"tasks/{task}/{lang}/test.jsonl")
            assert len(rows) == len(en)
            for a, b in zip(en, rows, strict=True):
                assert non_text(a) == non_text(b)
                assert sorted(NAME_RE.findall(" ".join(texts(a)))) == sorted(
                    NAME_RE.findall(" ".join(texts(b)))
                )
                assert sorted(regex.findall(r"\d", " ".join(texts(a)))) == sorted(
                    regex.findall(r"\d", " ".join(texts(b)))
                )


def check_rows(rows: list[dict], schema: dict, labels: set) -> None:
    assert rows
    for row in rows:
        assert list(row) == list(schema)
        for key, typ in schema.items():
            assert type(row[key]) is typ, (key, row)
    key = "answer" if "answer" in schema else "label"
    counts = collections.Counter(row[key] for row in rows)
    assert set(counts) == labels
    assert max(counts.values()) - min(counts.values()) <= 0.1 * len(rows) / len(labels) + 1


def test_hub_shapes_and_balance(world: tuple[Path, dict]) -> None:
    root, _ = world
    for rel, schema in INTERMEDIATE.items():
        check_rows(read_jsonl(root / "tasks" / rel), schema, LABELS[rel.split("/")[0]])
    for task, schema in TARGETS.items():
        for split in ("train", "validation", "test"):
            check_rows(read_jsonl(root / f"tasks/{task}/en/{split}.jsonl"), schema, LABELS[task])
    for row in read_jsonl(root / "tasks/race/validation.jsonl"):
        assert len(row["options"]) == 4 and len(set(row["options"])) == 4
    for row in read_jsonl(root / "tasks/xcopa/en/train.jsonl"):
        assert row["question"] in ("cause", "effect") and row["changed"] is False


def test_dev_and_test_do_not_repeat_training(world: tuple[Path, dict]) -> None:
    root, _ = world
    for task in TARGETS:
        train = {
            json.dumps({k: v for k, v in r.items() if k not in ("id", "idx")})
            for r in read_jsonl(root / f"tasks/{task}/en/train.jsonl")
        }
        for split in ("validation", "test"):
            rows = read_jsonl(root / f"tasks/{task}/en/{split}.jsonl")
            assert not train & {
                json.dumps({k: v for k, v in r.items() if k not in ("id", "idx")}) for r in rows
            }


def test_text_is_clean_nfc(world: tuple[Path, dict]) -> None:
    root, _ = world
    for path in root.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert unicodedata.is_normalized("NFC", text), path
            bad = [
                ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\t"
            ]
            assert not bad, (path, bad[:3])
            if path.suffix == ".jsonl":
                assert "\t" not in text


def test_devanagari_has_multi_codepoint_clusters() -> None:
    lexicon = build_lexicon("hi", 0, 0.25)
    for word in lexicon.forms.values():
        assert any(len(cluster) > 1 for cluster in regex.findall(r"\X", word)), word


@pytest.mark.parametrize("lang", ["en", "vi", "ru", "ar", "hi", "zh"])
def test_word_forms_unique(lang: str) -> None:
    forms = list(build_lexicon(lang, 3, 0.5).forms.values())
    assert len(forms) == len(set(forms)) >= 100


def test_lexicon_files(world: tuple[Path, dict]) -> None:
    root, _ = world
    lines = (root / "lexicon/en-ru.tsv").read_text(encoding="utf-8").splitlines()
    pairs = [line.split("\t") for line in lines]
    assert all(len(p) == 2 for p in pairs)
    english = [en for en, _ in pairs]
    assert len(english) == len(set(english))
    assert {"see", "sees", "watch", "dog", "dogs", "park", "red"} <= set(english)
    table = dict(pairs)
    assert table["see"] == table["sees"] != table["watch"]


def test_cognates_follow_fraction() -> None:
    none = build_lexicon("ru", 0, 0.0).forms.values()
    assert not any(regex.search(r"\p{Latin}", w) for w in none)
    vi_all = build_lexicon("vi", 0, 1.0).forms
    assert vi_all[("dog", 0)][0] == "d" and vi_all[("dog", 0)] != "dog"


@pytest.mark.parametrize(
    "bad",
    [
        {"languages": ("vi", "ru")},
        {"languages": ("en", "xx")},
        {"languages": ("en", "en")},
        {"cognate_fraction": 1.5},
        {"cognate_fraction": -0.1},
        {"qqp_train": 0},
        {"test_size": -3},
        {"corpus_sentences": 2.5},
        {"seed": "1"},
    ],
)
def test_config_rejects_bad_values(bad: dict) -> None:
    with pytest.raises(ValueError):
        SampleWorldConfig(**bad)


def test_config_subset_of_languages(tmp_path: Path) -> None:
    manifest = generate_world(tmp_path, SampleWorldConfig(languages=("en", "zh"), **SMALL))
    assert list(manifest["languages"]) == ["en", "zh"]
    assert (tmp_path / "tasks/xcopa/zh/test.jsonl").exists()
    assert not (tmp_path / "tasks/xcopa/ru").exists()


def test_corpora_are_partly_code_switched_but_tests_are_not(world: tuple[Path, dict]) -> None:
    root, _ = world
    ascii_words = regex.compile(r"(?<![A-Za-z])[a-z]{2,}(?![A-Za-z])")
    for lang in ("ru", "ar", "hi", "zh"):
        corpus = (root / f"corpus/{lang}.txt").read_text(encoding="utf-8").splitlines()
        mixed = sum(bool(ascii_words.search(line)) for line in corpus)
        assert 0.1 * len(corpus) < mixed < 0.9 * len(corpus), (lang, mixed)
        for task in TARGETS:
            for row in read_jsonl(root / f"tasks/{task}/{lang}/test.jsonl"):
                assert not any(ascii_words.search(text) for text in texts(row)), row
    english = (root / "corpus/en.txt").read_text(encoding="utf-8")
    assert regex.search(r"\p{Cyrillic}|\p{Devanagari}|\p{Han}", english)
