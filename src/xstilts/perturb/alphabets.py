"""Each language's own letters, so character edits never write one script into another.

`data/alphabets.json` lists, per language, the standalone letters a character edit may insert or
substitute (lower case; upper case is matched to the edited letter). Latin languages have their
accented letters, Vietnamese its toned vowels, Devanagari, Bengali, Tamil and other abugidas
their consonants and independent vowels (no vowel signs, which cannot stand alone), Korean the
open and common closed syllables, Japanese the kana, and Chinese the 2,500 most frequent
characters of jieba's dictionary, weighted by word frequency.

A word in another script than its text's language (a Latin name in Russian text) is edited with
the default alphabet of its own script, or, for a script no language here covers, with the
letters of that script found in the text itself.
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files

import regex

from xstilts.perturb.segment import char_script

SCRIPT_DEFAULTS = {
    "Latin": "en", "Cyrillic": "ru", "Greek": "el", "Arabic": "ar", "Hebrew": "he",
    "Devanagari": "hi", "Bengali": "bn", "Tamil": "ta", "Telugu": "te", "Malayalam": "ml",
    "Thai": "th", "Georgian": "ka", "Armenian": "hy", "Ethiopic": "am", "Hangul": "ko",
    "Hiragana": "ja", "Katakana": "ja-Kana", "Han": "zh",
}  # fmt: skip


@functools.cache
def _table() -> dict[str, dict[str, str]]:
    return json.loads(files("xstilts.perturb").joinpath("data/alphabets.json").read_text("utf-8"))


def languages() -> tuple[str, ...]:
    return tuple(sorted(_table()))


def language_script(language: str) -> str | None:
    """The script the table lists `language`'s letters in, or None for a language it lacks."""
    entry = _table().get(language)
    return entry["script"] if entry else None


def alphabet(language: str, script: str, text: str = "") -> tuple[str, ...]:
    """Letters of `script` to write into a `language` text: the language's own when it is
    written in that script, else the script's default language's, else the text's own."""
    table = _table()
    for key in (language, SCRIPT_DEFAULTS.get(script)):
        entry = table.get(key or "")
        if entry and entry["script"] == script:
            return tuple(entry["letters"])
    own = sorted({c for c in text if c.isalpha() and char_script(c) == script})
    return tuple(own)


def match_case(letter: str, like: str) -> str:
    """`letter` in upper case when `like` starts with an upper-case letter."""
    return letter.upper() if like[:1].isupper() and len(letter.upper()) == 1 else letter


# Scripts whose vowel signs and marks are letters of their own, typed as separate keys: editing
# the base letter of a grapheme keeps them. In Latin, Greek and Cyrillic an accent is part of the
# letter (a dead key or an input-method sequence), so a replaced letter loses it.
CASED_SCRIPTS = frozenset({"Latin", "Greek", "Cyrillic", "Armenian", "Georgian"})
_SYLLABIC_CLASSES = ("Consonant", "Vowel_Independent", "Vowel_Dependent", "Virama")
_CLASS_PATTERNS = tuple(regex.compile(rf"\p{{InSC={name}}}") for name in _SYLLABIC_CLASSES)


def syllabic_class(char: str) -> int:
    """Index of `char`'s Indic syllabic category among consonant / independent vowel / vowel
    sign / virama, or -1: a consonant may only stand in for a consonant before a vowel sign."""
    return next((i for i, p in enumerate(_CLASS_PATTERNS) if p.match(char)), -1)


def replace_letter(grapheme: str, letter: str, script: str) -> str:
    """`grapheme` with its base letter replaced by `letter` ("" when that makes no sense)."""
    if script in CASED_SCRIPTS or len(grapheme) == 1:
        return match_case(letter, grapheme)
    if syllabic_class(letter) != syllabic_class(grapheme[0]):
        return ""
    return letter + grapheme[1:]
