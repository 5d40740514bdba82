"""Text units: grapheme clusters, words and scripts, all as code-point offsets.

Graphemes are extended grapheme clusters (`regex`'s `\\X`), so a Devanagari conjunct, a
Vietnamese letter with two marks or an emoji sequence is one unit, tailored as UAX #29 allows for
the scripts whose vowels the default rules leave on their own: a following vowel that cannot
stand alone (Thai and Lao า ะ, Myanmar ာ ါ း, New Tai Lue, Tai Tham) joins the cluster before it,
as a combining mark would, and a vowel written before its consonant (Thai and Lao เ แ โ ใ ไ)
joins the cluster after it. Without this, deleting, swapping or spacing clusters would leave
such a vowel with no base, or on the wrong one.

Words come from ICU's word break iterator through `icu4py`, whose wheel ships ICU with its
dictionaries: it segments unspaced scripts (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) with
ICU's dictionary-based breakers and every other script by the Unicode word-boundary rules, offline
and without a model. (PyICU needs a system ICU to build; jieba covers Chinese only.) ICU reports
UTF-16 offsets, which are converted to code points here, so astral characters such as emoji or
rare Han keep every span aligned with Python string indexing.
"""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from dataclasses import dataclass

import regex
from icu4py.breakers import WordBreaker

# A vowel written before its consonant, and a following vowel or spacing mark that the default
# rules keep out of its base's cluster (UAX #29 excludes these from SpacingMark and Prepend).
_PREPOSED = r"\p{Logical_Order_Exception}"
_FOLLOWING = (
    r"[[\p{Mc}\p{InSC=Vowel_Dependent}]"
    r"--[\p{GCB=Extend}\p{GCB=SpacingMark}\p{Logical_Order_Exception}]]"
)
_PREPOSED_CHAR = regex.compile(_PREPOSED)
_CONTROL = r"[\p{GCB=Control}\p{GCB=CR}\p{GCB=LF}]"
_GRAPHEME = regex.compile(
    rf"(?:(?:(?={_PREPOSED})\X)+(?=(?!{_PREPOSED})\p{{L}}))?"  # preposed vowels before a letter
    rf"(?:(?={_CONTROL})\X|\X(?:(?={_FOLLOWING})\X)*)",  # a cluster and the vowels after it
    regex.V1,
)
# Characters that are a whole cluster wherever they stand: no default or tailored rule joins
# them to a neighbour (not Extend, SpacingMark, Prepend, ZWJ, Hangul or regional indicators, which
# are not GCB=Other; not an Indic conjunct consonant, linker or extend, an emoji, or a tailored
# vowel). Most seams between a replacement and its neighbours have one of these; see
# `surely_apart`.
_ISOLATED = regex.compile(
    r"[\p{GCB=Other}--[\p{InCB=Consonant}\p{InCB=Linker}\p{InCB=Extend}"
    rf"\p{{Extended_Pictographic}}{_PREPOSED}{_FOLLOWING}]]+",
    regex.V1,
)
# The end of a piece that joins the next cluster (a Prepend, or a cluster that starts with a
# preposed vowel, marks and all), and a first character that joins the previous cluster.
_GLUES_NEXT = regex.compile(
    rf"(?:\p{{GCB=Prepend}}|{_PREPOSED}[\p{{GCB=Extend}}\p{{GCB=SpacingMark}}\p{{GCB=ZWJ}}]*)\Z",
    regex.V1,
)
_GLUES_PREVIOUS = regex.compile(
    rf"[\p{{GCB=Extend}}\p{{GCB=SpacingMark}}\p{{GCB=ZWJ}}{_FOLLOWING}]", regex.V1
)
_ASTRAL = regex.compile(r"[^\u0000-\uffff]")  # two UTF-16 units each
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
    """The (tailored) extended grapheme clusters of `text`, in order."""
    if _ISOLATED.fullmatch(text):  # every character its own cluster: most text, found fast
        return list(text)
    return _GRAPHEME.findall(text)


def grapheme_spans(text: str) -> list[Span]:
    clusters = graphemes(text)
    starts = itertools.accumulate(map(len, clusters), initial=0)
    return [Span(start, start + len(g), g) for start, g in zip(starts, clusters, strict=False)]


def grapheme_boundaries(text: str) -> list[int]:
    """The offsets where a grapheme cluster starts, and `len(text)`: cheaper than the spans
    when only the boundaries are needed (a long text has tens of thousands)."""
    if _ISOLATED.fullmatch(text):
        return list(range(len(text) + 1))
    return list(itertools.accumulate(map(len, _GRAPHEME.findall(text)), initial=0))


def surely_apart(*pieces: str) -> bool:
    """A quick sufficient test for `stay_apart`: True when every two neighbouring pieces meet at
    a break no rule can remove (one side is a character that is a cluster by itself anywhere and
    the other does not glue onto it). Empty pieces are skipped. False means only that
    `stay_apart` has to be asked; no context beyond the two characters at a seam matters then,
    because every rule that looks further (conjuncts, emoji sequences, flags) needs a seam
    character that such a test excludes."""
    present = [piece for piece in pieces if piece]
    return all(_sure_break(left, right) for left, right in itertools.pairwise(present))


def _sure_break(left: str, right: str) -> bool:
    """Whether no rule joins the end of `left` to the start of `right` (both non-empty)."""
    if _ISOLATED.match(right[0]) is not None and _GLUES_NEXT.search(left) is None:
        return True
    return _ISOLATED.match(left[-1]) is not None and _GLUES_PREVIOUS.match(right[0]) is None


def is_preposed(char: str) -> bool:
    """Whether `char` is a vowel written before the consonant it is pronounced after (Thai เ)."""
    return _PREPOSED_CHAR.match(char) is not None


def stay_apart(*pieces: str) -> bool:
    """Whether `pieces` written one after another keep their own clusters: a piece ending in a
    virama takes the next one's consonant into a conjunct, a mark joins the letter before it."""
    if surely_apart(*pieces):
        return True
    return graphemes("".join(pieces)) == [g for piece in pieces for g in graphemes(piece)]


def is_letter(grapheme: str) -> bool:
    """Whether a grapheme starts with a letter (so it is part of a word, not a mark or sign)."""
    return bool(grapheme) and _LETTER.match(grapheme) is not None


def words(text: str, language: str) -> list[Span]:
    """The words of `text` (spans holding a letter or a digit), by ICU's word breaker.

    A break ICU makes inside a grapheme cluster (its rules join conjoining jamo, say, or Thai
    vowels differently) is dropped, so that no word, and no unit counted in one, splits a
    cluster of the whole text."""
    if not text:
        return []
    ends = [end for _, end in WordBreaker(text, _locale(language)).segments()]
    if _ASTRAL.search(text):
        offsets = _utf16_to_codepoint(text)
        ends = [offsets[end] for end in ends]
    if not _ISOLATED.fullmatch(text):
        clusters = set(grapheme_boundaries(text))
        ends = [end for end in ends if end in clusters]
    spans, start = [], 0
    for end in ends:
        # most segments of unspaced text are one character: asked once per character
        if _wordlike_char(text[start]) if end - start == 1 else _WORDLIKE.search(text, start, end):
            spans.append(Span(start, end, text[start:end]))
        start = end
    return spans


@functools.lru_cache(maxsize=65536)
def _wordlike_char(char: str) -> bool:
    return _WORDLIKE.match(char) is not None


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
