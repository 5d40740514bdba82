"""Keyboard typos: a letter becomes a neighbouring key on the language's own layout.

Layouts ship in `data/keyboards` (en, fr, de, es, tr, sw, vi, ru, uk, bg, el, ar, fa, he, hi,
mr, bn, ta, th, ko, ka, hy, plus QWERTY for the pinyin and romaji input methods of zh and ja). A
word in another script than the text's language is typed on that script's default layout (a
Latin name in Russian text on QWERTY). Han and kana slip through their input method, Hangul one
jamo at a time (see `phonetic`); Japanese kanji, typed by choosing among homophones, are left
alone. Languages with no layout for a script get no keyboard typos (`supports` says which).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence

from xstilts.perturb import register
from xstilts.perturb.alphabets import (
    CASED_SCRIPTS,
    drop_stray_tied_marks,
    match_case,
    syllabic_class,
)
from xstilts.perturb.base import Edit, Perturbation, Proposal
from xstilts.perturb.keyboards import Layout, layout
from xstilts.perturb.phonetic import hangul_typo, ime_typo
from xstilts.perturb.segment import Span, char_script, graphemes, is_preposed

SCRIPT_LAYOUTS = {
    "Latin": "en", "Cyrillic": "ru", "Greek": "el", "Arabic": "ar", "Hebrew": "he",
    "Devanagari": "hi", "Bengali": "bn", "Tamil": "ta", "Thai": "th", "Hangul": "ko",
    "Georgian": "ka", "Armenian": "hy",
}  # fmt: skip


@register
class Keyboard(Perturbation):
    name = "keyboard"
    unit = "grapheme"

    def supports(self, language: str) -> bool:
        return layout(language) is not None

    def propose(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        grapheme = units[index]
        typo = keyboard_typo(grapheme.text, language, rng)
        return Proposal(Edit(grapheme.start, grapheme.end, typo)) if typo else None


def keyboard_typo(grapheme: str, language: str, rng: random.Random) -> str:
    """A typo of one grapheme, or "" when its language and script have no keyboard here."""
    script = char_script(grapheme[0])
    if script == "Han" and language != "ja" and len(grapheme) == 1:
        return ime_typo(grapheme, "zh", "Han", layout("en"), rng)
    if script in ("Hiragana", "Katakana") and len(grapheme) == 1:
        return ime_typo(grapheme, "ja" if script == "Hiragana" else "ja-Kana", script,
                        layout("en"), rng)  # fmt: skip
    if script == "Hangul" and len(grapheme) == 1:
        return hangul_typo(grapheme, layout("ko"), rng)
    board = layout(language)
    if board is None or board.script != script:
        board = layout(SCRIPT_LAYOUTS.get(script, ""))
    if board is None:
        return ""
    options = _layout_typos(grapheme, board, script)
    return rng.choice(options) if options else ""


def _layout_typos(grapheme: str, board: Layout, script: str) -> list[str]:
    lower = grapheme.lower() if len(grapheme.lower()) == len(grapheme) else grapheme
    if lower in board.neighbours:
        options = [n for n in board.neighbours[lower] if _same_kind(n, lower)]
    else:
        keys = unicodedata.normalize("NFD", lower)
        options = []
        for i, key in enumerate(keys):
            for near in board.neighbours.get(key, ()):
                if not _same_kind(near, key):
                    continue
                if script not in CASED_SCRIPTS:
                    options.append(keys[:i] + near + keys[i + 1 :])
                elif i == 0:  # the accent was a dead key: the slipped key drops it
                    options.append(near)
    typed = (
        match_case(unicodedata.normalize("NFC", drop_stray_tied_marks(o)), grapheme)
        for o in options
    )
    return [t for t in dict.fromkeys(typed) if t != grapheme and len(graphemes(t)) == 1]


def _same_kind(a: str, b: str) -> bool:
    """A slipped key stands in for a key of the same kind: a letter for a letter, and in the
    scripts that distinguish them a consonant for a consonant and a vowel sign for a vowel sign
    (Thai า is a letter to Unicode, but typed for ม it leaves a vowel with no consonant), a
    vowel written before its consonant for another such (Thai ไ for เ, never ำ, which needs a
    consonant before it)."""
    same_category = unicodedata.category(a[0])[0] == unicodedata.category(b[0])[0]
    same_class = syllabic_class(a[0]) == syllabic_class(b[0])
    return same_category and same_class and is_preposed(a[0]) == is_preposed(b[0])
