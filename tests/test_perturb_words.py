"""Word deletion, swap, repetition, spacing noise and romanisation."""

from __future__ import annotations

import random

from xstilts.perturb import Resources, build_family

RESOURCES = Resources()


def test_word_delete_removes_whole_words_with_their_space() -> None:
    result = build_family("word_delete", RESOURCES).apply(
        "one two three", "en", 0.3, random.Random(0)
    )
    assert result.text in {"two three", "one three", "one two "}
    assert build_family("word_delete", RESOURCES).word_variants(
        "two", "en", random.Random(0), 3
    ) == [""]


def test_word_swap_keeps_the_words_and_punctuation() -> None:
    result = build_family("word_swap", RESOURCES).apply(
        "one two, three", "en", 0.6, random.Random(1)
    )
    assert sorted(result.text.replace(",", "").split()) == ["one", "three", "two"]
    assert result.text.count(",") == 1 and result.n_edited == 2


def test_word_swap_at_low_strength_swaps_once_in_a_short_sentence() -> None:
    # ten words at strength 0.1 give a budget of one word, and a swap changes two
    text = "The man turned on the faucet to fill the sink."
    swap = build_family("word_swap", RESOURCES)
    for seed in range(10):
        result = swap.apply(text, "en", 0.1, random.Random(seed))
        assert len(result.edits) == 1 and result.n_units == 10 and result.n_edited == 2
        (edit,) = result.edits
        assert sorted(edit.replacement.split()) == sorted(text[edit.start : edit.end].split())
        assert result.text != text and result.text.endswith(".")
        assert sorted(result.text[:-1].split()) == sorted(text[:-1].split())


def test_word_swap_on_a_long_field_keeps_the_budget() -> None:
    text = " ".join(f"word{i}" for i in range(45))  # strength 0.1: ceil(4.5) = 5 words
    swap = build_family("word_swap", RESOURCES)
    for seed in range(10):
        result = swap.apply(text, "en", 0.1, random.Random(seed))
        assert result.edits and result.n_edited <= 5 and 2 * len(result.edits) == result.n_edited


def test_word_repeat_in_spaced_and_unspaced_scripts() -> None:
    repeat = build_family("word_repeat", RESOURCES)
    assert repeat.word_variants("book", "en", random.Random(0), 2) == ["book book"]
    assert repeat.word_variants("苹果", "zh", random.Random(0), 2) == ["苹果苹果"]


def test_spacing_merges_or_splits_and_inserts_spaces_in_chinese() -> None:
    spacing = build_family("spacing", RESOURCES)
    result = spacing.apply("one two three four", "en", 0.5, random.Random(3))
    assert result.text.replace(" ", "") == "onetwothreefour" and result.text != "one two three four"
    zh = spacing.apply("人人生而自由", "zh", 1.0, random.Random(0))
    assert zh.text.replace(" ", "") == "人人生而自由" and " " in zh.text


def test_romanize_writes_non_latin_words_in_ascii() -> None:
    romanize = build_family("romanize", RESOURCES)
    assert romanize.apply("мир", "ru", 1.0, random.Random(0)).text == "mir"
    assert romanize.apply("中文", "zh", 1.0, random.Random(0)).text == "zhongwen"
    assert romanize.apply("plain ascii", "en", 1.0, random.Random(0)).edits == ()


def test_romanize_reads_japanese_as_japanese_and_thai_vowels_in_spoken_order() -> None:
    """Kanji in Japanese text get their Japanese reading, not Mandarin pinyin; a Thai or Lao
    vowel written before its consonant is romanised after it."""
    romanize = build_family("romanize", RESOURCES)
    japanese = romanize.apply("東京に行きます", "ja", 1.0, random.Random(0)).text
    assert "toukyou" in japanese and "dongjing" not in japanese
    assert romanize.apply("ไปแล้ว", "th", 1.0, random.Random(0)).text.startswith("pai")
    assert romanize.apply("ໄປ", "lo", 1.0, random.Random(0)).text == "pai"
    assert romanize.apply("中文", "zh", 1.0, random.Random(0)).text == "zhongwen"  # still pinyin


def test_romanize_keeps_korean_hanja_rather_than_write_mandarin_pinyin() -> None:
    """No Korean reading of hanja is available: the Hangul of a word is romanised, its hanja
    stay, and a word of hanja alone is left as it is."""
    romanize = build_family("romanize", RESOURCES)
    result = romanize.apply("大韓民國의 사람", "ko", 1.0, random.Random(0))
    assert result.text == "大韓民國ui salam"  # anyascii's syllable-by-syllable scheme
    assert romanize.apply("大韓民國", "ko", 1.0, random.Random(0)).edits == ()
    assert "dahan" not in result.text.lower()


def test_a_swap_never_joins_two_words_into_one_cluster() -> None:
    """Loose Hangul jamo before a syllable: swapped, the syllable would take the jamo into its
    own cluster, so the swap is not made."""
    swap = build_family("word_swap", RESOURCES)
    for seed in range(10):
        assert swap.apply("ᅡ갸", "ko", 1.0, random.Random(seed)).text == "ᅡ갸"
