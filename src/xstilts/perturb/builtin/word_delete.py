"""Dropped words: a word disappears with the whitespace that followed it."""

from __future__ import annotations

import random
from collections.abc import Sequence

import regex

from xstilts.perturb import register
from xstilts.perturb.base import Edit, Perturbation, Proposal
from xstilts.perturb.segment import Span

_SPACES = regex.compile(r"[ \t\u00a0\u3000]*")


@register
class WordDelete(Perturbation):
    name = "word_delete"
    unit = "word"

    def propose(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        if len(units) < 2:
            return None  # deleting the only word leaves no input
        word = units[index]
        end = _SPACES.match(text, word.end).end()
        return Proposal(Edit(word.start, end, ""))

    def word_variants(self, word: str, language: str, rng: random.Random, k: int) -> list[str]:
        """Deleting the word is the one candidate for a word."""
        return [""] if k > 0 and self.units(word, language) else []
