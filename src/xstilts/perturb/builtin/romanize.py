"""Romanisation: a word written in Latin letters, as people type without their script's keyboard.

Uses `anyascii` (toneless pinyin for Han, Hepburn-style romaji for kana, Revised Romanisation
for Hangul, ISO-like schemes elsewhere; accents are dropped from Latin words, so Vietnamese
comes out as unaccented "telex-less" text). Words of caseless scripts are lower-cased, as typed.
Words already in ASCII are left alone. Two corrections to a character-by-character scheme:
- Japanese (language `ja`) is romanised by `pykakasi` (Hepburn), which reads kanji as Japanese:
  anyascii would give their Mandarin pinyin (東京 "dongjing", not "toukyou").
- Thai and Lao write some vowels before the consonant they follow in speech (Unicode stores them
  in that visual order): they are romanised after it (ไป "pai", not "aip").
- Korean (language `ko`) hanja are left as they are: anyascii would write their Mandarin pinyin
  (大韓 "dahan", not "daehan"), and no Korean reading of hanja installs here (ICU has no
  Han-to-Hangul transform; the `hanja` package pins PyYAML and test tools that conflict with
  this project's, `pyhanja` ships one CPython 3.11 wheel and reads 女子 as "녀자"). A word of
  hanja alone is not romanised; the Hangul of a mixed word is.

Per language: ja Hepburn romaji (kanji read as Japanese); ko Revised Romanisation of Hangul,
hanja kept; zh toneless pinyin; th and lo in spoken vowel order; every other script anyascii's
scheme for it.
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
_NOT_HAN = regex.compile(r"[^\p{Han}]+")


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
    if language == "ko":
        latin = _NOT_HAN.sub(lambda m: anyascii(m.group()), word)
    else:
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
