"""Dropped diacritics, the way people type without them, under a per-script policy.

- Latin (incl. Vietnamese) and Greek: every combining mark goes (é→e, ấ→a, ά→α), đ→d.
- Cyrillic: only the letters commonly typed without their marks: й→и, ё→е, ї→і, ў→у.
- Arabic: harakat (fatha, damma, kasra, tanwin, shadda, sukun, dagger alef) go, and hamza seats
  and madda fall back to their plain letters (أ إ آ ٱ→ا, ؤ→و, ئ→ي).
- Hebrew: niqqud and cantillation marks go (Hebrew is written without them).
- No policy (nothing is edited): Indic abugidas, Thai, Lao, Khmer, Myanmar, Tibetan, whose vowel
  signs and viramas are letters, not decoration (dropping them misspells or destroys the word);
  Han, kana, Hangul, Georgian, Armenian, Ethiopic, which have no optional marks.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Sequence

import regex

from xstilts.perturb import register
from xstilts.perturb.base import Edit, Perturbation, Proposal
from xstilts.perturb.segment import Span, char_script

_CYRILLIC = str.maketrans("йЙёЁїЇўЎ", "иИеЕіІуУ")
_ARABIC_LETTERS = str.maketrans("أإآٱؤئ", "ااااوي")
_ARABIC_HARAKAT = regex.compile(r"[\u064B-\u0652\u0670]")
_HEBREW_POINTS = regex.compile(r"[\u0591-\u05C7]")
_LATIN_EXTRA = str.maketrans("đĐ", "dD")


def _strip_marks(grapheme: str) -> str:
    decomposed = unicodedata.normalize("NFD", grapheme)
    kept = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", kept).translate(_LATIN_EXTRA)


POLICIES: dict[str, Callable[[str], str]] = {
    "Latin": _strip_marks,
    "Greek": _strip_marks,
    "Cyrillic": lambda g: g.translate(_CYRILLIC),
    "Arabic": lambda g: _ARABIC_HARAKAT.sub("", g).translate(_ARABIC_LETTERS),
    "Hebrew": lambda g: _HEBREW_POINTS.sub("", g),
}


def strip_diacritics(grapheme: str) -> str:
    """The grapheme as typed without optional marks (unchanged where its script has no policy)."""
    policy = POLICIES.get(char_script(grapheme[0])) if grapheme else None
    return policy(grapheme) if policy else grapheme


@register
class Diacritics(Perturbation):
    name = "diacritics"
    unit = "grapheme"

    def propose(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        grapheme = units[index]
        plain = strip_diacritics(grapheme.text)
        return (
            Proposal(Edit(grapheme.start, grapheme.end, plain)) if plain != grapheme.text else None
        )
