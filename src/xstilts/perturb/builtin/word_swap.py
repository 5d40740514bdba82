"""Swapped words: a word trades places with the next one, the text between them kept. A swap
that would join pieces into one cluster (two words with nothing between them, one ending in a
letter the other's first mark attaches to) is not made."""

from __future__ import annotations

import random
from collections.abc import Sequence

from xstilts.perturb import register
from xstilts.perturb.base import Edit, Perturbation, Proposal
from xstilts.perturb.segment import Span, stay_apart

_MAX_GAP = 3  # a longer gap holds more than a space or a comma: not one phrase


@register
class WordSwap(Perturbation):
    name = "word_swap"
    unit = "word"

    def propose(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        if index + 1 >= len(units):
            return None
        first, second = units[index], units[index + 1]
        gap = text[first.end : second.start]
        if first.text == second.text or len(gap) > _MAX_GAP or "\n" in gap:
            return None
        if not stay_apart(second.text, gap, first.text):
            return None
        return Proposal(Edit(first.start, second.end, second.text + gap + first.text), cost=2)
