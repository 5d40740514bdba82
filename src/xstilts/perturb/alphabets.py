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
import unicodedata
from importlib.resources import files

import regex

from xstilts.perturb.segment import char_script, graphemes, is_preposed

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
    own = {c for c in text if c.isalpha() and char_script(c) == script}
    return tuple(sorted(c for c in own if stands_alone(c)))


def match_case(letter: str, like: str) -> str:
    """`letter` in upper case when `like` starts with an upper-case letter."""
    return letter.upper() if like[:1].isupper() and len(letter.upper()) == 1 else letter


# Scripts whose vowel signs and marks are letters of their own, typed as separate keys: editing
# the base letter of a grapheme keeps them. In Latin, Greek and Cyrillic an accent is part of the
# letter (a dead key or an input-method sequence), so a replaced letter loses it.
CASED_SCRIPTS = frozenset({"Latin", "Greek", "Cyrillic", "Armenian", "Georgian"})
_SYLLABIC_CLASSES = ("Consonant", "Vowel_Independent", "Vowel_Dependent", "Virama")
_CLASS_PATTERNS = tuple(regex.compile(rf"\p{{InSC={name}}}") for name in _SYLLABIC_CLASSES)


_VOWEL_SIGN = _SYLLABIC_CLASSES.index("Vowel_Dependent")
# Marks that belong to one letter only: the shin and sin dots of Hebrew ש.
_TIED_MARKS = {"\u05c1": "\u05e9", "\u05c2": "\u05e9"}
_HANGUL_LEAD = regex.compile(r"[\u1100-\u115F\uA960-\uA97F]")


def syllabic_class(char: str) -> int:
    """Index of `char`'s Indic syllabic category among consonant / independent vowel / vowel
    sign / virama, or -1: a consonant may only stand in for a consonant before a vowel sign."""
    return next((i for i, p in enumerate(_CLASS_PATTERNS) if p.match(char)), -1)


def stands_alone(letter: str) -> bool:
    """Whether `letter` can be written where a whole grapheme was: a vowel sign such as Thai า or
    เ is a letter to Unicode but needs a consonant, so it is never inserted or substituted."""
    return syllabic_class(letter) != _VOWEL_SIGN


def replace_letter(grapheme: str, letter: str, script: str) -> str:
    """`grapheme` with its base letter replaced by `letter` ("" when that makes no sense).

    The marks and vowel signs stay, except a mark that only the old letter could carry (a shin
    dot); in Hangul the leading jamo is the base; and the result must be one cluster, so a
    substitution never splits the grapheme it edits."""
    if not stands_alone(letter):
        return ""
    if script in CASED_SCRIPTS or len(grapheme) == 1:
        return match_case(letter, grapheme)
    if script == "Hangul":
        return _replace_hangul_lead(grapheme, letter)
    before, base, after = _split_base(grapheme)
    if syllabic_class(letter) != syllabic_class(base):
        return ""
    new = drop_stray_tied_marks(before + letter + after)
    return new if len(graphemes(new)) == 1 else ""


def drop_stray_tied_marks(text: str) -> str:
    """`text` without the marks that sit on a letter that cannot carry them (a shin dot on any
    letter but ש), as after a letter under such a mark was replaced."""
    kept, base = [], ""
    for char in text:
        if not unicodedata.combining(char):
            base = char
        if _TIED_MARKS.get(char, base) == base:
            kept.append(char)
    return "".join(kept)


def _split_base(grapheme: str) -> tuple[str, str, str]:
    """(the vowels written before the base letter, the base letter, what follows it)."""
    at = 0
    while at + 1 < len(grapheme) and is_preposed(grapheme[at]):
        at += 1
    return grapheme[:at], grapheme[at], grapheme[at + 1 :]


def _replace_hangul_lead(grapheme: str, letter: str) -> str:
    """A jamo sequence with its leading consonant replaced by `letter`'s: the vowel and final
    jamo stay, so a sequence that composed into a syllable still does (a syllable put in front
    of the vowel jamo would not compose with them)."""
    lead = unicodedata.normalize("NFD", letter)[:1]
    first = unicodedata.normalize("NFD", grapheme[0])
    if not (_HANGUL_LEAD.match(lead) and _HANGUL_LEAD.match(first)):
        return ""
    head = lead + first[1:]
    composed = unicodedata.normalize("NFC", head) if len(first) > 1 else head
    return composed + grapheme[1:]
