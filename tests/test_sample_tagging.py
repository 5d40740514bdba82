"""The sample world's tagging tasks (UD-POS and PAN-X shapes): words, tags and splits."""

from __future__ import annotations

import collections
import json
import random
import unicodedata
from pathlib import Path

import pytest

from xstilts.sample.borrowing import code_switched
from xstilts.sample.corpus import random_utterance
from xstilts.sample.frames import FrameSampler
from xstilts.sample.grammar import Utterance, render, tagged_words
from xstilts.sample.languages import LANGUAGES
from xstilts.sample.tagging import NER_TAGS, TAGGING_TASKS, UPOS, build_sentences, panx_utterance
from xstilts.sample.vocabulary import NAMES, build_lexicon
from xstilts.sample.world import generate_world
from xstilts.sample.world_config import SampleWorldConfig

SMALL = dict(
    corpus_sentences=20,
    parallel_pairs=10,
    qqp_train=10,
    mnli_train=10,
    race_train=10,
    xnli_train=10,
    pawsx_train=10,
    xcopa_train=10,
    udpos_train=150,
    panx_train=150,
    dev_size=40,
    test_size=60,
    tatoeba_pairs=10,
    bucc_dev_pairs=5,
    bucc_test_pairs=5,
)
LANGS = tuple(LANGUAGES)
TAG_FIELD = {"udpos": "pos_tags", "panx": "ner_tags"}
NAME_SET = set(NAMES)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tagging")
    generate_world(out, SampleWorldConfig(**SMALL))
    return out


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def tagging_tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for task in TAGGING_TASKS
        for p in sorted((root / "tasks" / task).rglob("*.jsonl"))
    }


def join(words: list[str], lang: str) -> str:
    """How a sentence's words are written: spaces between words in spaced scripts (none
    before a punctuation mark), and in unspaced ones only between two ASCII letters/digits."""
    language = LANGUAGES[lang]
    marks = set(language.punct.values())
    out = ""
    for word in words:
        latin = (
            out[-1:].isascii() and out[-1:].isalnum() and word[0].isascii() and word[0].isalnum()
        )
        space = out and word not in marks and (language.spaced or latin)
        out += (" " if space else "") + word
    return out


def test_files_and_row_shapes(world: Path) -> None:
    for task, field in TAG_FIELD.items():
        names = len(UPOS) if task == "udpos" else len(NER_TAGS)
        files = {"en/train.jsonl": 150, "en/validation.jsonl": 40}
        files |= {f"{lang}/test.jsonl": 60 for lang in LANGS}
        for rel, size in files.items():
            rows = read_jsonl(world / "tasks" / task / rel)
            assert len(rows) == size, rel
            lang = rel.split("/")[0]
            for row in rows:
                keys = ["tokens", field] + (["langs"] if task == "panx" else [])
                assert list(row) == keys
                tokens, tags = row["tokens"], row[field]
                assert len(tokens) == len(tags) > 0
                assert all(isinstance(t, str) and t and t == t.strip() for t in tokens)
                assert all(type(t) is int and 0 <= t < names for t in tags)
                if task == "panx":
                    assert row["langs"] == [lang] * len(tokens)


def split_utterances(task: str, config: SampleWorldConfig) -> dict[str, list[Utterance]]:
    """The utterances of each split, rebuilt the way the world builds them."""
    english, seen = build_lexicon("en", config.seed, config.cognate_fraction), set()
    sizes = {
        "train": getattr(config, f"{task}_train"),
        "dev": config.dev_size,
        "test": config.test_size,
    }
    return {
        which: build_sentences(
            TAGGING_TASKS[task], size, f"{config.seed}:task:{task}:{which}", seen, english
        )
        for which, size in sizes.items()
    }


def test_test_rows_are_the_rendered_sentences(world: Path) -> None:
    config = SampleWorldConfig(**SMALL)
    for task in TAG_FIELD:
        test = split_utterances(task, config)["test"]
        for lang in LANGS:
            lexicon = build_lexicon(lang, config.seed, config.cognate_fraction)
            rows = read_jsonl(world / f"tasks/{task}/{lang}/test.jsonl")
            for utt, row in zip(test, rows, strict=True):
                expected = unicodedata.normalize("NFC", render(utt, lexicon))
                assert join(row["tokens"], lang) == expected


@pytest.mark.parametrize("lang", LANGS)
def test_render_joins_the_tagged_words(lang: str) -> None:
    lexicon = build_lexicon(lang, 0, 0.25)
    english = build_lexicon("en", 0, 0.25)
    donors = [english] if lang != "en" else [build_lexicon(x, 0, 0.25) for x in LANGS[1:]]
    rng = random.Random(f"tagging-test:{lang}")
    sampler = FrameSampler(rng)
    for i in range(300):
        utt = random_utterance(sampler) if i % 2 else panx_utterance(sampler)
        for u in (utt, *(Utterance(k, utt.frame) for k in ("np", "name", "locp"))):
            words = tagged_words(u, lexicon)
            assert all(w.text and w.tag in UPOS for w in words)
            assert join([w.text for w in words], lang) == render(u, lexicon)
        mixed = code_switched(lexicon, rng.choice(donors), rng)  # as in the corpora
        assert join([w.text for w in tagged_words(utt, mixed)], lang) == render(utt, mixed)


def count(tags: list[int], names: tuple[str, ...], wanted: str) -> int:
    return sum(names[t] == wanted for t in tags)


def test_test_sets_are_parallel(world: Path) -> None:
    for task, field in TAG_FIELD.items():
        names = UPOS if task == "udpos" else NER_TAGS
        kept = ("PROPN", "NUM", "VERB") if task == "udpos" else ("B-PER",)
        per_lang = {lang: read_jsonl(world / f"tasks/{task}/{lang}/test.jsonl") for lang in LANGS}
        for rows in zip(*per_lang.values(), strict=True):
            for tag in kept:
                assert len({count(r[field], names, tag) for r in rows}) == 1, (tag, rows)
            people = {tuple(sorted(t for t in r["tokens"] if t in NAME_SET)) for r in rows}
            assert len(people) == 1, rows


def test_ner_tags_names_and_nothing_else(world: Path) -> None:
    rows = [r for lang in LANGS for r in read_jsonl(world / f"tasks/panx/{lang}/test.jsonl")]
    rows += read_jsonl(world / "tasks/panx/en/train.jsonl")
    for row in rows:
        for token, tag in zip(row["tokens"], row["ner_tags"], strict=True):
            assert NER_TAGS[tag] in ("O", "B-PER"), row
            assert (NER_TAGS[tag] == "B-PER") == (token in NAME_SET), row
    with_names = sum(any(row["ner_tags"]) for row in rows)
    assert 0.6 * len(rows) < with_names < 0.95 * len(rows)
    two_people = sum(count(row["ner_tags"], NER_TAGS, "B-PER") >= 2 for row in rows)
    assert two_people > 0.3 * len(rows)


def test_pos_tags_follow_the_grammar(world: Path) -> None:
    rows = read_jsonl(world / "tasks/udpos/en/train.jsonl")
    seen = collections.Counter()
    for row in rows:
        for token, tag in zip(row["tokens"], row["pos_tags"], strict=True):
            seen[UPOS[tag]] += 1
            word = token.lower()
            if token in NAME_SET:
                assert UPOS[tag] == "PROPN"
            expected = {
                "the": "DET",
                "and": "CCONJ",
                "not": "PART",
                "does": "AUX",
                "because": "SCONJ",
                "so": "CCONJ",
                "in": "ADP",
            }.get(word, "NUM" if token.isdigit() else "PUNCT" if token in ".?," else None)
            assert expected is None or UPOS[tag] == expected, (token, row)
    assert {"NOUN", "VERB", "ADJ", "PROPN", "NUM", "DET", "ADP", "PART", "AUX"} <= set(seen)
    assert {"CCONJ", "SCONJ", "PRON", "ADV", "PUNCT"} <= set(seen)
    for lang in LANGS:
        for row in read_jsonl(world / f"tasks/udpos/{lang}/test.jsonl"):
            assert UPOS[row["pos_tags"][-1]] == "PUNCT"


def test_dev_and_test_do_not_repeat_training(world: Path) -> None:
    for task in TAG_FIELD:
        train = {tuple(r["tokens"]) for r in read_jsonl(world / f"tasks/{task}/en/train.jsonl")}
        assert len(train) == SMALL["udpos_train"]
        later = [
            tuple(r["tokens"])
            for split in ("validation", "test")
            for r in read_jsonl(world / f"tasks/{task}/en/{split}.jsonl")
        ]
        assert len(set(later)) == len(later) and not train & set(later)


def test_deterministic_and_seeded(world: Path, tmp_path: Path) -> None:
    config = dict(SMALL, udpos_train=40, panx_train=40, dev_size=10, test_size=10)
    generate_world(tmp_path / "a", SampleWorldConfig(**config))
    generate_world(tmp_path / "b", SampleWorldConfig(**config))
    generate_world(tmp_path / "c", SampleWorldConfig(seed=1, **config))
    first = tagging_tree(tmp_path / "a")
    assert len(first) == 2 * (2 + len(LANGS))
    assert tagging_tree(tmp_path / "b") == first
    other = tagging_tree(tmp_path / "c")
    assert (
        other.keys() == first.keys()
        and other["tasks/udpos/vi/test.jsonl"] != first["tasks/udpos/vi/test.jsonl"]
    )


@pytest.mark.parametrize("bad", [{"udpos_train": 0}, {"panx_train": -1}])
def test_config_rejects_bad_sizes(bad: dict) -> None:
    with pytest.raises(ValueError):
        SampleWorldConfig(**bad)
