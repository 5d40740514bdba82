"""Homoglyphs look like the letter, are not a mere variant of it, and survive the tokenizer."""

from __future__ import annotations

import random
import unicodedata

from tests.perturb_support import xlmr_style_tokenizer
from xstilts.perturb import Resources, build_family, is_effective
from xstilts.perturb.builtin.homoglyph import fits_in_place, joining_type, look_alikes
from xstilts.perturb.segment import char_script


def test_look_alikes_are_neither_case_accent_nor_nfkc_variants() -> None:
    candidates = look_alikes("a")
    assert "а" in candidates  # Cyrillic a
    assert not {"A", "á", "ａ", "𝐚"} & set(candidates)
    assert all(unicodedata.normalize("NFKC", c) == c for c in candidates)


def test_homoglyph_output_survives_the_xlmr_normaliser() -> None:
    tokenizer = xlmr_style_tokenizer()
    family = build_family("homoglyph", Resources(tokenizer=tokenizer))
    texts = ["people are born free", "Все люди рождаются", "Pablo read a book"]
    for seed, text in enumerate(texts):
        result = family.apply(text, "en", 0.3, random.Random(seed))
        assert result.edits and is_effective(tokenizer, text, result.text)
        for edit in result.edits:
            assert is_effective(tokenizer, text[edit.start : edit.end], edit.replacement)


def test_a_cursive_letter_is_replaced_only_by_one_that_joins_alike() -> None:
    """Arabic letters: never a Canadian syllabic, a Hebrew letter, N'Ko or a digit (each breaks
    the word's joined shape); only Arabic letters of the same joining type."""
    for char in "لاهورکي":
        for other in look_alikes(char):
            assert char_script(other) == "Arabic" and unicodedata.category(other)[0] == "L"
            assert joining_type(other) == joining_type(char), (char, other)
    assert not {"ᒪ", "ו", "ߊ", "١", "1"} & set(look_alikes("ا"))
    assert "ك" in look_alikes("ک")  # keheh and kaf join alike and look alike


def test_no_letter_becomes_a_digit_or_another_letter_of_its_own_alphabet() -> None:
    assert look_alikes("க") == ()  # Tamil KA is not Tamil digit one
    assert look_alikes("ท") == () and look_alikes("ม") == ()  # other Thai letters: misspellings
    assert "ɑ" not in look_alikes("a") and "а" in look_alikes("a")
    assert not any(unicodedata.category(c)[0] == "L" for c in look_alikes("0"))


def test_edits_in_arabic_script_and_thai_text_keep_every_word_joined() -> None:
    family = build_family("homoglyph", Resources())
    texts = {"ar": "لاهور مدينة كبيرة في باكستان", "fa": "کتاب یک دوست خوب است", "th": "ไปแล้ว"}
    for lang, text in texts.items():
        for seed in range(20):
            for edit in family.apply(text, lang, 0.5, random.Random(seed)).edits:
                original = text[edit.start : edit.end]
                assert fits_in_place(original, edit.replacement), (lang, original, edit)
