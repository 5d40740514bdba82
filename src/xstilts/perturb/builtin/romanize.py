"""Romanisation: a word written in Latin letters, as people type without their script's keyboard.

Uses `anyascii` (toneless pinyin for Han, Hepburn-style romaji for kana, Revised Romanisation
for Hangul, ISO-like schemes elsewhere; accents are dropped from Latin words, so Vietnamese
comes out as unaccented "telex-less" text). Words of caseless scripts are lower-cased, as typed.
Words already in ASCII are left alone.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from anyascii import anyascii

from xstilts.perturb import register
from xstilts.perturb.base import Edit, Perturbation, Proposal
from xstilts.perturb.segment import Span


def romanize(word: str) -> str:
    latin = anyascii(word)
    return latin if any(c.isupper() or c.islower() for c in word) else latin.lower()


@register
class Romanize(Perturbation):
    name = "romanize"
    unit = "word"

    def propose(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        word = units[index]
        if word.text.isascii():
            return None
        latin = romanize(word.text)
        if not latin.strip() or latin == word.text:
            return None
        return Proposal(Edit(word.start, word.end, latin))
