"""Character swap, deletion, insertion and substitution stay inside the word's own script."""

from __future__ import annotations

import random

import pytest

from xstilts.perturb import Resources, build_family
from xstilts.perturb.segment import char_script, graphemes

RESOURCES = Resources()
TEXTS = {
    "ru": "Все люди рождаются свободными",
    "ar": "يولد جميع الناس أحرارا",
    "hi": "सभी मनुष्यों को गौरव",
    "zh": "人人生而自由在尊严和权利上一律平等",
}


@pytest.mark.parametrize("name", ["char_insert", "char_substitute"])
@pytest.mark.parametrize("language", sorted(TEXTS))
def test_new_letters_come_from_the_scripts_own_alphabet(name: str, language: str) -> None:
    text = TEXTS[language]
    result = build_family(name, RESOURCES).apply(text, language, 0.5, random.Random(4))
    assert result.edits
    for edit in result.edits:
        assert not any(c.isascii() for c in edit.replacement)
        assert {char_script(c) for c in edit.replacement if c.isalpha()} == {char_script(text)}


def test_substitution_keeps_devanagari_vowel_signs_on_a_consonant() -> None:
    family = build_family("char_substitute", RESOURCES)
    for seed in range(20):
        result = family.apply("कि", "hi", 1.0, random.Random(seed))
        assert len(result.text) == 2 and result.text.endswith("ि") and result.text != "कि"


def test_swap_trades_two_whole_graphemes() -> None:
    result = build_family("char_swap", RESOURCES).apply("क्षत्रिय", "hi", 0.7, random.Random(0))
    assert sorted(graphemes(result.text)) == sorted(graphemes("क्षत्रिय"))
    assert result.text != "क्षत्रिय" and result.n_edited == 2


def test_swap_at_low_strength_swaps_once_in_a_short_sentence() -> None:
    # nine letters at strength 0.1 give a budget of one grapheme, and a swap changes two
    text, swap = "Das ist gut.", build_family("char_swap", RESOURCES)
    for seed in range(10):
        result = swap.apply(text, "de", 0.1, random.Random(seed))
        assert len(result.edits) == 1 and result.n_units == 9 and result.n_edited == 2
        (edit,) = result.edits
        first, second = text[edit.start : edit.end]
        assert edit.replacement == second + first and first != second


def test_swap_on_a_long_field_keeps_the_budget() -> None:
    text = "Alle Menschen sind frei und gleich an Würde und Rechten geboren"  # 53 letters
    swap = build_family("char_swap", RESOURCES)
    for seed in range(10):
        result = swap.apply(text, "de", 0.1, random.Random(seed))
        assert result.n_units == 53 and result.edits and result.n_edited <= 6


def test_delete_never_removes_a_whole_one_letter_word() -> None:
    result = build_family("char_delete", RESOURCES).apply("a b c", "en", 1.0, random.Random(0))
    assert result.text == "a b c"


def test_swap_offers_word_variants_for_the_attack() -> None:
    variants = build_family("char_swap", RESOURCES).word_variants("word", "en", random.Random(0), 3)
    assert variants and all(sorted(v) == sorted("word") for v in variants)
