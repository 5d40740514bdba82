"""Homoglyphs look like the letter, are not a mere variant of it, and survive the tokenizer."""

from __future__ import annotations

import random
import unicodedata

from tests.perturb_support import xlmr_style_tokenizer
from xstilts.perturb import Resources, build_family, is_effective
from xstilts.perturb.builtin.homoglyph import look_alikes


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
