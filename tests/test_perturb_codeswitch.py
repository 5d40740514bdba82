"""Code-switching draws its words from the bilingual lexicons; MUSE fails offline in one line."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from tests.perturb_support import LEXICONS
from xstilts.perturb import Resources, build_family
from xstilts.perturb import resources as resources_module
from xstilts.perturb.errors import LexiconError
from xstilts.perturb.lexicon import fetch_muse, lexicon_languages, load_lexicon, parse_lexicon

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


def test_each_lexicon_is_looked_up_once_per_resources(monkeypatch) -> None:
    # every substring the longest-match pass tries asks for the lexicon: uncached, a 20,000
    # character text made tens of thousands of stats and globs
    lookups: list[str] = []
    listings: list[Path] = []

    def counted_load(directory: Path, language: str):
        lookups.append(language)
        return load_lexicon(directory, language)

    def counted_list(directory: Path) -> tuple[str, ...]:
        listings.append(directory)
        return lexicon_languages(directory)

    monkeypatch.setattr(resources_module, "load_lexicon", counted_load)
    monkeypatch.setattr(resources_module, "lexicon_languages", counted_list)
    family = build_family("codeswitch", Resources(lexicon_dir=LEXICONS))
    entry = load_lexicon(LEXICONS, "zh").from_english["book"][0]
    for _ in range(2):
        family.apply(f"我有{entry}。" * 200, "zh", 1.0, random.Random(0))
        family.apply("ฉันชอบอ่านหนังสือ", "th", 1.0, random.Random(0))
        assert not family.supports("th")
    assert sorted(lookups) == sorted({*lookups}) and {"zh", "th"} <= set(lookups)
    assert len(listings) == 1


def test_phrases_are_whole_entries_longest_first() -> None:
    car = load_lexicon(LEXICONS, "vi").from_english["car"][0]
    text = f"tôi có {car.replace(' ', '  ')} và {car}"  # any run of spaces joins its words
    found = CODESWITCH.phrases(text, "vi")
    assert [" ".join(p.text.split()) for p in found if " " in p.text] == [car, car]
    assert all(text[p.start : p.end] == p.text for p in found)
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))
    spaced = next(p.text for p in found if "  " in p.text)
    assert "car" in CODESWITCH.word_variants(spaced, "vi", random.Random(0), 10)
    book, lemon = (load_lexicon(LEXICONS, "zh").from_english[w][0] for w in ("book", "lemon"))
    assert lemon in book  # 短 inside 花短: the longest entry wins
    assert [p.text for p in CODESWITCH.phrases(f"我有{book}。", "zh")] == [book]
