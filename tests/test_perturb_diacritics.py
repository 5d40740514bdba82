"""The diacritic policy is per script: realistic where marks are optional, absent elsewhere."""

from __future__ import annotations

import random

import pytest

from xstilts.perturb import Resources, build_family
from xstilts.perturb.builtin.diacritics import strip_diacritics

DIACRITICS = build_family("diacritics", Resources())


@pytest.mark.parametrize(
    ("text", "language", "plain"),
    [("Tiếng Việt đẹp", "vi", "Tieng Viet dep"), ("café naïve", "fr", "cafe naive"),
     ("Йогурт ёж мой", "ru", "Иогурт еж мои"), ("άνθρωποι ΐ", "el", "ανθρωποι ι"),
     ("أَحْمَد إِلى آمن سُؤال", "ar", "احمد الى امن سوال"), ("בְּרֵאשִׁית", "he", "בראשית")],
)  # fmt: skip
def test_full_strength_removes_the_optional_marks(text: str, language: str, plain: str) -> None:
    assert DIACRITICS.apply(text, language, 1.0, random.Random(0)).text == plain


def test_cyrillic_keeps_letters_whose_marks_are_not_optional() -> None:
    assert strip_diacritics("щ") == "щ" and strip_diacritics("й") == "и"


@pytest.mark.parametrize(
    ("text", "language"),
    [("सभी मनुष्यों को गौरव", "hi"), ("সমস্ত মানুষ", "bn"), ("மனிதப் பிறவியினர்", "ta"),
     ("มนุษย์ทั้งหลาย", "th"), ("人人生而自由", "zh"), ("모든 인간은", "ko")],
)  # fmt: skip
def test_scripts_without_a_policy_are_left_untouched(text: str, language: str) -> None:
    result = DIACRITICS.apply(text, language, 1.0, random.Random(0))
    assert result.text == text and result.edits == ()
