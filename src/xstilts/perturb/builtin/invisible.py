"""Invisible characters inserted between the letters of a word.

Only format characters that are grapheme clusters of their own and that XLM-R's nmt_nfkc
normaliser keeps are used: WORD JOINER, the four invisible math operators, SOFT HYPHEN and
MONGOLIAN VOWEL SEPARATOR. ZERO WIDTH SPACE, ZWNJ, BOM and the directional marks become a space
there (a spacing perturbation, not an invisible one), and ZWJ, CGJ and variation selectors attach
to the letter before them (they would change its grapheme cluster). With a tokenizer in
`Resources`, a character it erases or turns into a space is dropped.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from xstilts.perturb import register
from xstilts.perturb.base import Edit, Perturbation, Proposal
from xstilts.perturb.effective import token_ids
from xstilts.perturb.resources import Resources
from xstilts.perturb.segment import Span

INVISIBLES = ("\u2060", "\u2061", "\u2062", "\u2063", "\u2064", "\u00ad", "\u180e")


@register
class Invisible(Perturbation):
    name = "invisible"
    unit = "grapheme"

    def __init__(self, resources: Resources) -> None:
        super().__init__(resources)
        self.characters = _surviving(resources)

    def propose(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        if index + 1 >= len(units) or units[index].end != units[index + 1].start:
            return None  # only between two letters of one word
        if not self.characters:
            return None
        at = units[index].end
        return Proposal(Edit(at, at, rng.choice(self.characters)))


def _surviving(resources: Resources) -> tuple[str, ...]:
    tokenizer = resources.tokenizer
    if tokenizer is None:
        return INVISIBLES
    erased = {tuple(token_ids(tokenizer, "ab")), tuple(token_ids(tokenizer, "a b"))}
    return tuple(c for c in INVISIBLES if tuple(token_ids(tokenizer, f"a{c}b")) not in erased)
