"""Romanisation: a word written in Latin letters, as people type without their script's keyboard.

Uses `anyascii` (toneless pinyin for Han, Hepburn-style romaji for kana, Revised Romanisation
for Hangul, ISO-like schemes elsewhere; accents are dropped from Latin words, so Vietnamese
comes out as unaccented "telex-less" text). Words of caseless scripts are lower-cased, as typed.
Words already in ASCII are left alone. Two corrections to a character-by-character scheme:
- Japanese (language `ja`) is romanised by `pykakasi` (Hepburn), which reads kanji as Japanese:
  anyascii would give their Mandarin pinyin (東京 "dongjing", not "toukyou").
- Thai and Lao write some vowels before the consonant they follow in speech (Unicode stores them
  in that visual order): they are romanised after it (ไป "pai", not "aip").
Korean words written in hanja still come out as pinyin (no Korean reading is available here).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from typing import Any

import pykakasi
import regex
from anyascii import anyascii

from xstilts.perturb import register
from xstilts.perturb.base import Edit, Perturbation, Proposal
from xstilts.perturb.segment import Span

# Thai เ แ โ ใ ไ and Lao ເ ແ ໂ ໃ ໄ, each followed by the consonant it is spoken after.
_LEADING_VOWEL = regex.compile(r"([\u0E40-\u0E44\u0EC0-\u0EC4])(\p{L})")


@functools.cache
def _kakasi() -> Any:
    """pykakasi's converter, built once (it loads its dictionaries)."""
    return pykakasi.kakasi()


def spoken_order(word: str) -> str:
    """`word` with each Thai or Lao leading vowel moved after the consonant it follows."""
    return _LEADING_VOWEL.sub(r"\2\1", word)


def romanize(word: str, language: str = "") -> str:
    """`word` in Latin letters (see the module docstring for the schemes)."""
    if language == "ja":
        return "".join(part["hepburn"] for part in _kakasi().convert(word))
    latin = anyascii(spoken_order(word))
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
        latin = romanize(word.text, language)
        if not latin.strip() or latin == word.text:
            return None
        return Proposal(Edit(word.start, word.end, latin))
