"""Homoglyphs look like the letter, are not a mere variant of it, and survive the tokenizer."""

from __future__ import annotations

import random
import unicodedata

from tests.perturb_support import xlmr_style_tokenizer
from xstilts.perturb import Resources, build_family, is_effective
from xstilts.perturb.builtin.homoglyph import (
    FINAL,
    INITIAL,
    ISOLATED,
    MEDIAL,
    fits_in_place,
    joined_position,
    joining_type,
    look_alikes,
    look_alikes_at,
)
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


def test_look_alikes_share_a_skeleton_not_a_case_or_a_second_step() -> None:
    """The confusables package's groups add the other case and two more mapping steps: O would
    take Greek capital sigma, V Greek capital nu, L a Greek capital iota. UTS #39 skeletons do
    not."""
    assert "Σ" not in look_alikes("O") and "Ο" in look_alikes("O")
    assert "Ν" not in look_alikes("V") and "Ι" not in look_alikes("L")
    assert "Г" not in look_alikes("R") and "З" not in look_alikes("E")


def test_arabic_script_look_alikes_depend_on_the_position_in_the_word() -> None:
    """Yeh and alef maksura differ by their dots everywhere; theh and peh too. Kaf and keheh
    look alike only where kaf has no inner stroke, before a joined letter."""
    assert look_alikes("ي") == ("ی",) and "ى" not in look_alikes("ي")
    assert look_alikes("ث") == () and look_alikes("پ") == ()
    assert look_alikes_at("ك", INITIAL) == ("ک",) and look_alikes_at("ك", FINAL) == ()
    assert look_alikes_at("ى", ISOLATED) == ("ی",) and look_alikes_at("ى", MEDIAL) == ()
    text = "كتاب یک"  # kaf initial, Farsi yeh initial, keheh final
    assert [joined_position(text, i) for i in (0, 5, 6)] == [INITIAL, INITIAL, FINAL]
    assert joined_position("بَب", 0) == INITIAL  # a fatha between two letters is skipped


def test_homoglyphs_in_persian_text_stay_where_the_letters_look_alike() -> None:
    family = build_family("homoglyph", Resources())
    text = "یک کتاب کوچک"
    changed = set()
    for seed in range(40):
        for edit in family.apply(text, "fa", 1.0, random.Random(seed)).edits:
            position = joined_position(text, edit.start)
            assert edit.replacement in look_alikes_at(text[edit.start], position), edit
            changed.add((edit.start, edit.replacement))
    assert (0, "ي") in changed  # initial Farsi yeh -> Arabic yeh (two dots below in both)
    assert not any(start == len(text) - 1 for start, _ in changed)  # final keheh stays
