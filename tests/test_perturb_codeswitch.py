"""Code-switching draws its words from the bilingual lexicons; MUSE fails offline in one line."""

from __future__ import annotations

import random

import pytest

from tests.perturb_support import LEXICONS
from xstilts.perturb import Resources, build_family
from xstilts.perturb.errors import LexiconError
from xstilts.perturb.lexicon import fetch_muse, load_lexicon, parse_lexicon

CODESWITCH = build_family("codeswitch", Resources(lexicon_dir=LEXICONS))
SAMPLE = ("vi", "ru", "ar", "hi", "zh")


def _all_lexicon_words() -> set[str]:
    found = set()
    for language in SAMPLE:
        lexicon = load_lexicon(LEXICONS, language)
        found |= {w for ws in lexicon.from_english.values() for w in ws}
        found |= {w for ws in lexicon.to_english.values() for w in ws}
    return found


def test_english_words_become_lexicon_words() -> None:
    text = "The car is near the book."
    result = CODESWITCH.apply(text, "en", 1.0, random.Random(0))
    assert result.edits
    vocabulary = _all_lexicon_words()
    assert all(e.replacement.lower() in {v.lower() for v in vocabulary} for e in result.edits)


@pytest.mark.parametrize("language", SAMPLE)
def test_sample_language_words_switch_via_the_english_pivot(language: str) -> None:
    lexicon = load_lexicon(LEXICONS, language)
    word = lexicon.from_english["book"][0]
    variants = CODESWITCH.word_variants(word, language, random.Random(0), k=10)
    assert "book" in variants
    assert set(variants) <= _all_lexicon_words() | {"book", "books"}


def test_chinese_lexicon_words_are_found_inside_unspaced_text() -> None:
    word = load_lexicon(LEXICONS, "zh").from_english["book"][0]
    result = CODESWITCH.apply(f"我有{word}。", "zh", 1.0, random.Random(0))
    assert any(word == f"我有{word}。"[e.start : e.end] for e in result.edits)


def test_only_chosen_switch_languages_are_used() -> None:
    family = build_family(
        "codeswitch", Resources(lexicon_dir=LEXICONS, codeswitch_languages=("en",))
    )
    word = load_lexicon(LEXICONS, "ru").from_english["car"][0]
    variants = family.word_variants(word, "ru", random.Random(0), 5)
    assert "car" in variants and set(variants) <= {"car", "cars", "automobile", "automobiles"}


def test_muse_format_and_missing_languages() -> None:
    lexicon = parse_lexicon("fr", ["the le", "the la", "cat\tchat", "broken"])
    assert lexicon.from_english["the"] == ("le", "la") and lexicon.to_english["chat"] == ("cat",)
    assert not CODESWITCH.supports("xx") and CODESWITCH.supports("vi")


def test_offline_muse_download_is_one_line_naming_the_url(tmp_path, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr("urllib.request.urlopen", refuse)
    with pytest.raises(LexiconError) as error:
        fetch_muse(["fr"], tmp_path / "muse", timeout=1.0)
    message = str(error.value)
    assert "\n" not in message
    assert "https://dl.fbaipublicfiles.com/arrival/dictionaries/en-fr.txt" in message
    assert "sample profile" in message
    assert list((tmp_path / "muse").iterdir()) == []


def test_cached_muse_file_is_not_downloaded_again(tmp_path, monkeypatch) -> None:
    (tmp_path / "en-fr.txt").write_text("cat chat\n", encoding="utf-8")
    monkeypatch.setattr("urllib.request.urlopen", lambda *a, **k: pytest.fail("downloaded"))
    assert fetch_muse(["fr"], tmp_path) == []  # no language without a dictionary
