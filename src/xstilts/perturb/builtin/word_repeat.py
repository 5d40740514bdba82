"""Repeated words: a word is typed twice (with a space, or without one in unspaced scripts)."""

from __future__ import annotations

import random
from collections.abc import Sequence

from xstilts.perturb import register
from xstilts.perturb.base import Edit, Perturbation, Proposal
from xstilts.perturb.segment import Span, is_unspaced


@register
class WordRepeat(Perturbation):
    name = "word_repeat"
    unit = "word"

    def propose(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        word = units[index]
        separator = "" if is_unspaced(word.text) else " "
        return Proposal(Edit(word.end, word.end, separator + word.text))
