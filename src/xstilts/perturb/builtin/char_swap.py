"""Swapped neighbouring letters: two adjacent graphemes of a word trade places.

Only when both stay whole clusters in their new order: "जगत्" must not become "जत्ग", where the
virama that ended the word would join the two consonants into a conjunct.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from xstilts.perturb import register
from xstilts.perturb.base import Edit, Perturbation, Proposal
from xstilts.perturb.segment import Span, stay_apart


@register
class CharSwap(Perturbation):
    name = "char_swap"
    unit = "grapheme"

    def propose(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        if index + 1 >= len(units):
            return None
        first, second = units[index], units[index + 1]
        if first.end != second.start or first.text == second.text:
            return None
        if not stay_apart(second.text, first.text):
            return None
        return Proposal(Edit(first.start, second.end, second.text + first.text), cost=2)
