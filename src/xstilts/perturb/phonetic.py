"""Typos made through an input method: pinyin for Chinese, romaji for kana, jamo for Hangul.

Chinese and Japanese are typed as Latin letters that an input method turns into characters: a
slip on a neighbouring key gives another syllable, and the input method offers that syllable's
characters. The syllable of a character is its `anyascii` romanisation (toneless pinyin for Han,
Hepburn-style romaji for kana); the characters offered are those of the language's alphabet with
that syllable. Korean is typed jamo by jamo on the Dubeolsik layout and composed into syllables,
so a slip replaces one jamo of a syllable with a neighbouring key of the same kind.
"""

from __future__ import annotations

import functools
import random

from anyascii import anyascii

from xstilts.perturb.alphabets import alphabet
from xstilts.perturb.keyboards import Layout

_INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_MEDIALS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_FINALS = " ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"
_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3


def syllable(char: str) -> str:
    return anyascii(char).lower()


@functools.cache
def _by_syllable(language: str, script: str) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for char in alphabet(language, script):
        index.setdefault(syllable(char), []).append(char)
    return {k: tuple(v) for k, v in index.items()}


def ime_typo(char: str, language: str, script: str, qwerty: Layout, rng: random.Random) -> str:
    """A character whose syllable is `char`'s with one letter slipped to a neighbouring key."""
    spelled = syllable(char)
    index = _by_syllable(language, script)
    options = []
    for i, letter in enumerate(spelled):
        for near in qwerty.neighbours.get(letter, ()):
            typed = spelled[:i] + near + spelled[i + 1 :]
            options.extend(c for c in index.get(typed, ()) if c != char)
    return rng.choice(options) if options else ""


def hangul_typo(char: str, dubeolsik: Layout, rng: random.Random) -> str:
    """`char` with one jamo replaced by a neighbouring Dubeolsik key of the same kind."""
    code = ord(char)
    if not _HANGUL_FIRST <= code <= _HANGUL_LAST:
        return ""
    initial, rest = divmod(code - _HANGUL_FIRST, 588)
    medial, final = divmod(rest, 28)
    parts = [_INITIALS[initial], _MEDIALS[medial], _FINALS[final]]
    options = []
    for slot, table in enumerate((_INITIALS, _MEDIALS, _FINALS)):
        for near in dubeolsik.neighbours.get(parts[slot], ()):
            if near in table and near != " ":
                options.append([*parts[:slot], near, *parts[slot + 1 :]])
    if not options:
        return ""
    new = rng.choice(options)
    index = (_INITIALS.index(new[0]) * 21 + _MEDIALS.index(new[1])) * 28 + _FINALS.index(new[2])
    return chr(_HANGUL_FIRST + index)
