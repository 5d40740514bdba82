"""Invisible characters stay in the text XLM-R's normaliser gives the model."""

from __future__ import annotations

import random

from tests.perturb_support import xlmr_style_tokenizer
from xstilts.perturb import Resources, build_family, is_effective
from xstilts.perturb.builtin.invisible import INVISIBLES


def test_every_shipped_invisible_survives_nmt_nfkc() -> None:
    family = build_family("invisible", Resources(tokenizer=xlmr_style_tokenizer()))
    assert family.characters == INVISIBLES
    assert "\u200b" not in INVISIBLES and "\u200c" not in INVISIBLES and "\ufeff" not in INVISIBLES


def test_invisible_insertions_are_effective_and_only_add_invisibles() -> None:
    tokenizer = xlmr_style_tokenizer()
    family = build_family("invisible", Resources(tokenizer=tokenizer))
    for language, text in [("en", "people are born free"), ("hi", "सभी मनुष्यों को")]:
        result = family.apply(text, language, 0.3, random.Random(0))
        assert result.edits and is_effective(tokenizer, text, result.text)
        assert "".join(c for c in result.text if c not in INVISIBLES) == text
