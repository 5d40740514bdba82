"""Spacing noise: two words run together, or a space falls inside a word.

In spaced scripts a word is merged with the next one (the whitespace between them goes) or split
at a grapheme boundary, which never falls between a Thai or Burmese vowel and its consonant (see
`segment`). In unspaced scripts (Chinese, Japanese, Thai, ...) merging is what the text already
does, so a space is inserted instead, at a word boundary found by the segmenter or inside a word.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from xstilts.perturb import register
from xstilts.perturb.base import Edit, Perturbation, Proposal
from xstilts.perturb.segment import Span, grapheme_spans, is_unspaced


@register
class Spacing(Perturbation):
    name = "spacing"
    unit = "word"

    def propose(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        word = units[index]
        following = units[index + 1] if index + 1 < len(units) else None
        if is_unspaced(word.text):
            if following is not None and following.start == word.end and rng.random() < 0.5:
                return Proposal(Edit(word.end, word.end, " "))
            return _split(word, rng)
        gap = text[word.end : following.start] if following else ""
        if gap and gap.isspace() and rng.random() < 0.5:
            return Proposal(Edit(word.end, following.start, ""))
        return _split(word, rng)


def _split(word: Span, rng: random.Random) -> Proposal | None:
    inner = [g.start for g in grapheme_spans(word.text)][1:]
    if not inner:
        return None
    at = word.start + rng.choice(inner)
    return Proposal(Edit(at, at, " "))
