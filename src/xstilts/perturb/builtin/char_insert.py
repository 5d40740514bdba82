"""Inserted letters: a letter of the word's own script's alphabet appears beside a letter."""

from __future__ import annotations

import random
from collections.abc import Sequence

from xstilts.perturb import register
from xstilts.perturb.alphabets import alphabet, match_case
from xstilts.perturb.base import Edit, Perturbation, Proposal
from xstilts.perturb.segment import Span, char_script


@register
class CharInsert(Perturbation):
    name = "char_insert"
    unit = "grapheme"

    def propose(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        grapheme = units[index]
        letters = alphabet(language, char_script(grapheme.text[0]), text)
        if not letters:
            return None
        letter = rng.choice(letters)
        at = grapheme.end if rng.random() < 0.5 else grapheme.start
        upper = grapheme.text.isupper() and text[grapheme.end : grapheme.end + 1].isupper()
        return Proposal(Edit(at, at, match_case(letter, "A") if upper else letter))
