"""Text units: grapheme clusters, words and scripts, all as code-point offsets.

Graphemes are extended grapheme clusters (`regex`'s `\\X`), so a Devanagari conjunct, a
Vietnamese letter with two marks or an emoji sequence is one unit. Words come from ICU's word
break iterator through `icu4py`, whose wheel ships ICU with its dictionaries: it segments
unspaced scripts (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) with ICU's dictionary-based
breakers and every other script by the Unicode word-boundary rules, offline and without a model.
(PyICU needs a system ICU to build; jieba covers Chinese only.) ICU reports UTF-16 offsets, which
are converted to code points here, so astral characters such as emoji or rare Han keep every span
aligned with Python string indexing.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass

import regex
from icu4py.breakers import WordBreaker

_GRAPHEME = regex.compile(r"\X")
_WORDLIKE = regex.compile(r"[\p{L}\p{N}]")
_LETTER = regex.compile(r"\p{L}")

# Scripts that write words without spaces between them.
UNSPACED_SCRIPTS = frozenset({"Han", "Hiragana", "Katakana", "Thai", "Lao", "Khmer", "Myanmar"})

# The scripts `script_of` can name; anything else is reported as "Other".
SCRIPTS = (
    "Latin", "Cyrillic", "Greek", "Arabic", "Hebrew", "Devanagari", "Bengali", "Gurmukhi",
    "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam", "Sinhala", "Thai", "Lao",
    "Khmer", "Myanmar", "Tibetan", "Georgian", "Armenian", "Ethiopic", "Han", "Hiragana",
    "Katakana", "Hangul", "Mongolian", "Syriac", "Thaana",
)  # fmt: skip
_SCRIPT_PATTERNS = tuple((name, regex.compile(rf"\p{{sc={name}}}")) for name in SCRIPTS)


@dataclass(frozen=True)
class Span:
    """A piece of a text: `text[start:end] == self.text`, offsets in code points."""

    start: int
    end: int
    text: str


def graphemes(text: str) -> list[str]:
    """The extended grapheme clusters of `text`, in order."""
    return _GRAPHEME.findall(text)


def grapheme_spans(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), m.group()) for m in _GRAPHEME.finditer(text)]


def is_letter(grapheme: str) -> bool:
    """Whether a grapheme starts with a letter (so it is part of a word, not a mark or sign)."""
    return bool(grapheme) and _LETTER.match(grapheme) is not None


def words(text: str, language: str) -> list[Span]:
    """The words of `text` (spans holding a letter or a digit), by ICU's word breaker."""
    if not text:
        return []
    offsets = _utf16_to_codepoint(text)
    spans = []
    for start16, end16 in WordBreaker(text, _locale(language)).segments():
        start, end = offsets[start16], offsets[end16]
        piece = text[start:end]
        if _WORDLIKE.search(piece):
            spans.append(Span(start, end, piece))
    return spans


def _locale(language: str) -> str:
    return language if language.isascii() and language.isalpha() else "und"


def _utf16_to_codepoint(text: str) -> list[int]:
    """Index: UTF-16 offset -> code-point offset (astral characters take two UTF-16 units)."""
    index = []
    for position, char in enumerate(text):
        index.append(position)
        if ord(char) > 0xFFFF:
            index.append(position)
    index.append(len(text))
    return index


@functools.lru_cache(maxsize=65536)
def char_script(char: str) -> str:
    """The Unicode script of one character: a name from SCRIPTS, "Common" or "Other"."""
    for name, pattern in _SCRIPT_PATTERNS:
        if pattern.match(char):
            return name
    return "Common" if not _LETTER.match(char) else "Other"


def script_of(text: str) -> str:
    """The dominant script among the letters of `text` ("Common" when it has none)."""
    counts = Counter(char_script(c) for c in text if _LETTER.match(c))
    return counts.most_common(1)[0][0] if counts else "Common"


def is_unspaced(text: str) -> bool:
    return script_of(text) in UNSPACED_SCRIPTS
