"""Character edits keep clusters whole and every mark on a base of its kind.

Each case is one that went wrong: a swap that made a conjunct across a virama, Thai and Burmese
vowels left without their consonant by a deletion or a space, conjoining jamo given a syllable
in front of them, a shin dot moved onto another Hebrew letter.
"""

from __future__ import annotations

import random
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.perturb_support import misplaced_marks, new_misplaced_marks
from xstilts.perturb import Resources, build_family, segment
from xstilts.perturb.alphabets import (
    alphabet,
    language_script,
    languages,
    replace_letter,
    stands_alone,
)
from xstilts.perturb.segment import (
    grapheme_boundaries,
    grapheme_spans,
    graphemes,
    stay_apart,
    surely_apart,
    words,
)

RESOURCES = Resources()
SEEDS = range(40)
SHIN, SHIN_DOT, SIN_DOT = "\u05e9", "\u05c1", "\u05c2"


def outputs(name: str, text: str, language: str, strength: float = 1.0) -> set[str]:
    family = build_family(name, RESOURCES)
    return {family.apply(text, language, strength, random.Random(s)).text for s in SEEDS}


@pytest.mark.parametrize(
    ("text", "clusters"),
    [
        ("ก่า", ["ก่า"]),  # Thai า follows its consonant and tone mark
        ("เก่า", ["เก่า"]),  # Thai เ is written before the consonant it follows in speech
        ("ເກົ່າ", ["ເກົ່າ"]),  # Lao
        ("ကောင်း", ["ကော", "င်း"]),  # Myanmar ာ and း, which the default rules leave apart
        ("เ ก", ["เ", " ", "ก"]),  # a preposed vowel with no letter after it stays alone
        ("\nา", ["\n", "า"]),  # nothing joins a line break
        ("जगत्", ["ज", "ग", "त्"]),
    ],
)
def test_clusters_keep_dependent_vowels_with_their_consonant(text: str, clusters: list[str]):
    assert graphemes(text) == clusters


def test_stay_apart_sees_a_virama_join_the_next_consonant() -> None:
    assert not stay_apart("त्", "ग")
    assert stay_apart("ग", "त्") and stay_apart("मा", "ก")


def test_words_never_split_a_cluster() -> None:
    # ICU breaks between a leading jamo and the syllable it joins; the cluster holds them
    assert [w.text for w in words("ᄀ가 abc", "ko")] == ["ᄀ가", "abc"]
    for language, text in [("th", "มาที่นี่เก่า"), ("my", "မြန်မာနိုင်ငံ ကောင်း")]:
        bounds = {0, len(text)} | {len("".join(graphemes(text)[:i])) for i in range(99)}
        assert all(w.start in bounds and w.end in bounds for w in words(text, language))


def test_swap_never_joins_two_clusters_across_a_virama() -> None:
    swapped = outputs("char_swap", "जगत्", "hi")
    assert "जत्ग" not in swapped and swapped == {"गजत्"}
    for text in swapped:
        assert sorted(graphemes(text)) == sorted(graphemes("जगत्"))


@pytest.mark.parametrize("name", ["char_delete", "spacing", "char_swap", "invisible"])
@pytest.mark.parametrize(
    ("language", "text"),
    [("th", "ฉันมา ที่นี่ มา เก่า"), ("my", "မာ ကောင်း မြန်မာ နိုင်ငံ")],
)
def test_thai_and_burmese_vowels_stay_on_their_consonant(name: str, language: str, text: str):
    for strength in (0.3, 1.0):
        for result in outputs(name, text, language, strength):
            assert new_misplaced_marks(text, result) == [], result
            assert not any(g[0] in "าာ" for g in graphemes(result)), result


def test_spacing_splits_burmese_between_syllables_only() -> None:
    for result in outputs("spacing", "မြန်မာ နိုင်ငံ", "my"):
        assert "မ ာ" not in result and " ာ" not in result


@pytest.mark.parametrize("text", [unicodedata.normalize("NFD", "한국 사람"), "가\u11a8 마\u11af"])
def test_substitution_keeps_conjoining_jamo_composing(text: str) -> None:
    results = outputs("char_substitute", text, "ko")
    assert results != {text}
    for result in results:
        assert not misplaced_marks(result), result
        assert len(result) == len(text)  # written as it was: jamo stay jamo


def test_substitution_replaces_the_leading_jamo_only() -> None:
    assert replace_letter("\u1112\u1161\u11ab", "가", "Hangul") == "\u1100\u1161\u11ab"
    assert replace_letter("가\u11a8", "한", "Hangul") == "하\u11a8"
    assert replace_letter("\u1161\u1161", "가", "Hangul") == ""


def test_substitution_keeps_shin_and_sin_dots_on_shin() -> None:
    text = "שָׁלוֹם עֲשִׂיתֶם בְּרֵאשִׁית"
    results = outputs("char_substitute", text, "he")
    assert results != {text}
    for result in results:
        assert not misplaced_marks(result), result
        for cluster in graphemes(result):
            assert cluster[0] == SHIN or not {SHIN_DOT, SIN_DOT} & set(cluster), result


def test_substitution_drops_a_dot_only_shin_can_carry() -> None:
    assert replace_letter("שָׁ", "ב", "Hebrew") == "בָ"
    assert replace_letter("בּ", SHIN, "Hebrew") == "שּ"


def test_substitution_replaces_the_consonant_after_a_preposed_vowel() -> None:
    assert replace_letter("เก่", "ข", "Thai") == "เข่"
    assert replace_letter("ก่", "เ", "Thai") == ""  # a vowel sign cannot stand for a consonant


def test_letters_taken_from_the_text_can_stand_alone() -> None:
    assert alphabet("lo", "Lao", "ເກົ່າ ກາ ໄປ") == ("ກ", "ປ")
    for result in outputs("char_insert", "ກາ ໄປ", "lo"):
        assert new_misplaced_marks("ກາ ໄປ", result) == [], result


@pytest.mark.parametrize("language", languages())
def test_every_listed_letter_can_stand_alone(language: str) -> None:
    letters = alphabet(language, language_script(language) or "")
    assert letters and all(stands_alone(letter) for letter in letters)


# Every kind of character the cluster rules treat specially, beside plain letters of many scripts.
_CLUSTER_CHARS = (
    "aé中ا가각กเาำ่ကားजक्\u094d\u093f\u0300\u0301\u200d\u200c😀🇫🇷\u0600ශ්\u0dcaשׁ\u05c1ئ\r\n \t-1ﻻ"
)


@settings(max_examples=1500, deadline=None)
@given(pieces=st.lists(st.text(st.sampled_from(_CLUSTER_CHARS), max_size=4), max_size=4))
def test_surely_apart_is_never_wrong(pieces: list[str]) -> None:
    """The quick test may say "ask graphemes", never "apart" when graphemes disagree."""
    if surely_apart(*pieces):
        joined = graphemes("".join(pieces))
        assert joined == [g for piece in pieces for g in graphemes(piece)], pieces


def test_surely_apart_answers_the_common_seams_itself() -> None:
    assert surely_apart("a", "中文", "b") and surely_apart("क", " ", "ख")
    assert surely_apart("किताब", ",") and surely_apart("x", "")
    # a virama and a consonant, a mark, a preposed Thai vowel: graphemes has to be asked
    assert not surely_apart("त्", "ग")
    assert not surely_apart("e", "\u0301") and not surely_apart("เ", "ก")
    assert not surely_apart("เ\u0300", "a")  # a preposed vowel keeps its pull under a mark


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.sampled_from(_CLUSTER_CHARS + "abc中文"), max_size=12))
def test_the_quick_path_of_graphemes_agrees_with_the_rules(text: str) -> None:
    assert graphemes(text) == segment._GRAPHEME.findall(text)
    assert grapheme_boundaries(text) == [0, *[s.end for s in grapheme_spans(text)]]
