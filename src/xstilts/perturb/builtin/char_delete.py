"""Dropped letters: one grapheme of a word (never a whole one-letter word) disappears.

A grapheme holds its marks and vowel signs, Thai า and Burmese ာ included (see `segment`), so
deleting one never leaves a vowel without its consonant.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from xstilts.perturb import register
from xstilts.perturb.base import Edit, Perturbation, Proposal
from xstilts.perturb.segment import Span


@register
class CharDelete(Perturbation):
    name = "char_delete"
    unit = "grapheme"

    def propose(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        grapheme = units[index]
        if not _has_letter_neighbour(units, index):
            return None
        return Proposal(Edit(grapheme.start, grapheme.end, ""))


def _has_letter_neighbour(units: Sequence[Span], index: int) -> bool:
    before = index > 0 and units[index - 1].end == units[index].start
    after = index + 1 < len(units) and units[index + 1].start == units[index].end
    return before or after
