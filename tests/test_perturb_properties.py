"""Invariants every perturbation family keeps, on random text and on real text in 35 scripts.

A new family in `xstilts.perturb.builtin` is checked here without any change to this file.
"""

from __future__ import annotations

import itertools
import math
import random
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.perturb_support import LEXICONS, new_misplaced_marks, real_world_strings
from xstilts.perturb import (
    Edit,
    Perturbation,
    Proposal,
    Resources,
    apply_edits,
    build_family,
    families,
    rng_for,
)
from xstilts.perturb.segment import Span, graphemes

RESOURCES = Resources(lexicon_dir=LEXICONS)
BUILT = {name: build_family(name, RESOURCES) for name in families()}


def _chars(*ranges: tuple[int, int]) -> list[str]:
    return [chr(c) for lo, hi in ranges for c in range(lo, hi + 1)]


# Random code points per sample script, including lone combining marks, viramas and nuktas: the
# text need not be well formed for the invariants to hold.
SCRIPT_CHARS = {
    "en": _chars((0x61, 0x7A), (0x41, 0x5A), (0xC0, 0xFF), (0x300, 0x308)),
    "vi": _chars((0x61, 0x7A)) + list("ăâđêôơưáàảãạấầẩẫậếềểễệốồổỗộớờởỡợứừửữựíìỉĩịýỳỷỹỵ"),
    "ru": [*_chars((1072, 1103), (1040, 1071)), "ё", "Ё", "й", "̆"],
    "ar": [*_chars((1569, 1610), (1611, 1618), (1632, 1641)), "ٰ"],
    "hi": _chars((0x900, 0x97F)),
    "zh": [*_chars((19968, 20096), (12288, 12290)), "，", "。"],
    # consonants, vowels written before, above, below and after them, tone marks
    "th": _chars((0x0E01, 0x0E3A), (0x0E40, 0x0E4E)),
    # consonants, medials, vowel signs (ါ ာ stand apart in the default clusters), asat, visarga
    "my": _chars((0x1000, 0x1021), (0x102B, 0x103E)),
    # syllables and conjoining jamo, leading, vowel and trailing
    "ko": [*_chars((0xAC00, 0xAC40), (0x1100, 0x1112), (0x1161, 0x1175), (0x11A8, 0x11C2))],
    # letters, points, and the shin and sin dots that belong on shin alone
    "he": _chars((0x05D0, 0x05EA), (0x05B0, 0x05BC), (0x05C1, 0x05C2)),
}
SEPARATORS = [" ", " ", " ", ",", ".", "\n", "\u200d", "\u00a0", "1", "\t"]


def text_in(language: str) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(SCRIPT_CHARS[language] + SEPARATORS), max_size=60)


def check_invariants(family: Perturbation, text: str, language: str, strength: float) -> None:
    rng_seed = f"{language}|{text}"
    result = family.apply(text, language, strength, rng_for(7, rng_seed, family.name))
    result.text.encode("utf-8")  # no lone surrogates
    assert result.family == family.name
    assert apply_edits(text, result.edits) == result.text
    for before, after in zip(result.edits, result.edits[1:], strict=False):
        inserting = before.start == before.end or after.start == after.end
        assert before.end < after.start or (before.end == after.start and not inserting)
    units = family.units(text, language)
    budget = math.ceil(strength * len(units))
    assert len(result.edits) <= result.n_edited
    if result.n_edited > budget:  # only the one edit made when nothing fits the budget
        assert strength > 0 and len(result.edits) == 1
    assert _units_touched(units, result.edits) <= max(budget, result.n_edited)
    if not family.breaks_clusters:
        by_units = family.unit == "grapheme"
        assert graphemes(result.text) == _expected_graphemes(text, result.edits, by_units)
        if by_units:
            assert all(_keeps_cluster_count(text, edit) for edit in result.edits)
    assert new_misplaced_marks(text, result.text) == []
    again = family.apply(text, language, strength, rng_for(7, rng_seed, family.name))
    assert again == result
    unchanged = family.apply(text, language, 0.0, rng_for(7, rng_seed, family.name))
    assert unchanged.text == text and unchanged.edits == ()


def _units_touched(units, edits) -> int:
    touched = 0
    for edit in edits:
        inside = sum(1 for u in units if u.start < edit.end and edit.start < u.end)
        touched += max(inside, 1)
    return touched


def _expected_graphemes(text: str, edits, by_units: bool) -> list[str]:
    """The original's graphemes outside the edits, and each edit's own, in order: with
    `by_units`, a character edit's units (the clusters it moved), else its replacement's."""
    expected, cursor = [], 0
    for edit in edits:
        expected += graphemes(text[cursor : edit.start])
        replaced = graphemes(text[edit.start : edit.end]) if by_units else []
        expected += _edit_units(replaced, edit.replacement)
        cursor = edit.end
    return expected + graphemes(text[cursor:])


def _edit_units(replaced: list[str], replacement: str) -> list[str]:
    """The clusters `replacement` must consist of: the replaced ones in their new order when it
    rearranges them (a swap), else its own. Segmenting the replacement alone would hide a merge
    inside it, such as a virama moved before a consonant."""
    order = _rearranged(replaced, replacement) if replaced else None
    return order if order is not None else graphemes(replacement)


def _rearranged(pieces: list[str], text: str) -> list[str] | None:
    """`pieces` in an order that spells `text`, or None when none does."""
    if not pieces:
        return [] if not text else None
    for i, piece in enumerate(pieces):
        if text.startswith(piece):
            rest = _rearranged(pieces[:i] + pieces[i + 1 :], text[len(piece) :])
            if rest is not None:
                return [piece, *rest]
    return None


def _keeps_cluster_count(text: str, edit: Edit) -> bool:
    """A character edit writes one cluster for each it replaces (one for an insertion) or
    none: more would split a cluster inside the replacement, fewer would merge two."""
    written = len(graphemes(edit.replacement))
    return written == 0 or written == max(1, len(graphemes(text[edit.start : edit.end])))


@pytest.mark.parametrize("name", families())
@pytest.mark.parametrize("language", sorted(SCRIPT_CHARS))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), strength=st.sampled_from([0.0, 0.1, 0.5, 1.0]))
def test_invariants_on_random_text(name: str, language: str, data, strength: float) -> None:
    check_invariants(BUILT[name], data.draw(text_in(language)), language, strength)


@pytest.mark.parametrize("name", families())
def test_invariants_on_real_text_in_many_scripts(name: str) -> None:
    rows = real_world_strings()
    assert len({script for _, script, _ in rows}) >= 30
    for language, _, text in rows:
        for strength in (0.15, 1.0):
            check_invariants(BUILT[name], text, language, strength)


# Text whose marks lose their base under careless edits: Devanagari conjuncts and a final virama,
# Thai and Burmese vowels written apart from their consonant, conjoining jamo, pointed Hebrew.
MARK_TEXTS = [
    ("hi", "जगत् क्षत्रिय हिन्दी्"),
    ("th", "มา ที่นี่ เก่า แม่ ไป กะ"),
    ("my", "မာ ကောင်း မြန်မာ နိုင်ငံ"),
    ("ko", unicodedata.normalize("NFD", "한국 사람 말") + " 각"),
    ("he", "שָׁלוֹם עֲשִׂיתֶם בְּרֵאשִׁית שׂ"),
    ("ko", "ᅡ갸"),  # a lone vowel jamo, which joins a syllable written before it
]


@pytest.mark.parametrize("name", families())
def test_marks_stay_on_a_base_of_their_kind(name: str) -> None:
    rows = [(lang, text) for lang, _, text in real_world_strings()] + MARK_TEXTS
    for (language, text), seed in itertools.product(rows, range(5)):
        for strength in (0.3, 1.0):
            result = BUILT[name].apply(text, language, strength, random.Random(seed))
            assert new_misplaced_marks(text, result.text) == [], (text, result.text)


@pytest.mark.parametrize("name", families())
def test_real_text_is_perturbed_somewhere(name: str) -> None:
    changed = sum(
        BUILT[name].apply(text, lang, 0.5, rng_for(1, text, name)).text != text
        for lang, _, text in real_world_strings()
    )
    # The sample lexicons hold the sample world's words, which real sentences rarely contain.
    assert changed >= (1 if name == "codeswitch" else 3)


@pytest.mark.parametrize("name", families())
def test_word_variants_are_deterministic_distinct_and_bounded(name: str) -> None:
    family = BUILT[name]
    for language, word in [("en", "book"), ("ru", "ёжик"), ("hi", "किताब"), ("zh", "苹果")]:
        first = family.word_variants(word, language, random.Random(3), k=4)
        assert first == family.word_variants(word, language, random.Random(3), k=4)
        assert len(first) <= 4 and len(set(first)) == len(first) and word not in first
    assert family.word_variants("", "en", random.Random(0), k=4) == []
    assert family.word_variants("book", "en", random.Random(0), k=0) == []


class CostlyAtEvenWords(Perturbation):
    """Upper-cases words: an even-indexed word together with the next one (cost 2), an
    odd-indexed word alone (cost 1) unless `only_costly`. Not registered."""

    name = "test_costly"
    unit = "word"
    only_costly = False

    def propose(self, text, language, units: list[Span], index, rng) -> Proposal | None:
        if index % 2 == 0 and index + 1 < len(units):
            first, second = units[index], units[index + 1]
            return Proposal(
                Edit(first.start, second.end, text[first.start : second.end].upper()), 2
            )
        if index % 2 == 1 and not self.only_costly:
            return Proposal(Edit(units[index].start, units[index].end, units[index].text.upper()))
        return None


class OnlyCostly(CostlyAtEvenWords):
    only_costly = True


def test_an_edit_too_costly_for_the_budget_is_made_only_when_nothing_fits() -> None:
    text = "one two three four five six"  # six words: strength 0.1 gives a budget of one
    for seed in range(20):
        mixed = CostlyAtEvenWords(RESOURCES).apply(text, "en", 0.1, random.Random(seed))
        assert len(mixed.edits) == 1 and mixed.n_edited == 1
        costly = OnlyCostly(RESOURCES).apply(text, "en", 0.1, random.Random(seed))
        assert len(costly.edits) == 1 and costly.n_edited == 2
        assert costly == OnlyCostly(RESOURCES).apply(text, "en", 0.1, random.Random(seed))
        assert OnlyCostly(RESOURCES).apply(text, "en", 0.0, random.Random(seed)).edits == ()
    assert OnlyCostly(RESOURCES).apply("one", "en", 1.0, random.Random(0)).edits == ()


def test_a_long_field_keeps_the_budget_when_costly_edits_come_first() -> None:
    text = " ".join(f"w{i}" for i in range(40))  # strength 0.1: at most four words
    for seed in range(20):
        result = OnlyCostly(RESOURCES).apply(text, "en", 0.1, random.Random(seed))
        assert result.edits and result.n_edited <= 4
