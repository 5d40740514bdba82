"""Homoglyphs: a letter becomes a look-alike from another script or block.

Candidates come from Unicode's confusables table (the `confusables` package), keeping single
code points of the Basic Multilingual Plane (historic scripts beyond it render as boxes on most
systems) that look like the letter itself, not a case or accent variant of it (its mark-less
case fold differs), in the same case, with no combining marks of their own, and stable under
NFKC: XLM-R's nmt_nfkc normaliser maps fullwidth and mathematical letters back to ASCII, so those
would be no perturbation at all. With a tokenizer in `Resources`, only candidates whose token ids
differ from the original letter's are used.
"""

from __future__ import annotations

import functools
import random
import unicodedata
from collections.abc import Sequence

from confusables import confusable_characters

from xstilts.perturb import register
from xstilts.perturb.base import Edit, Perturbation, Proposal
from xstilts.perturb.effective import survives
from xstilts.perturb.resources import Resources
from xstilts.perturb.segment import Span


@functools.cache
def look_alikes(char: str) -> tuple[str, ...]:
    """Confusable single characters for `char` that survive NFKC and are not mere variants."""
    if len(char) != 1:
        return ()
    found = confusable_characters(char) or []
    return tuple(sorted(c for c in found if len(c) == 1 and _is_look_alike(char, c)))


def _is_look_alike(char: str, other: str) -> bool:
    if other == char or ord(other) > 0xFFFF or unicodedata.normalize("NFKC", other) != other:
        return False
    if unicodedata.category(other)[0] not in "LN" or _fold(other) == _fold(char):
        return False
    if any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", other)):
        return False
    return other.islower() == char.islower() and other.isupper() == char.isupper()


def _fold(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@register
class Homoglyph(Perturbation):
    name = "homoglyph"
    unit = "grapheme"

    def __init__(self, resources: Resources) -> None:
        super().__init__(resources)
        self._seen: dict[str, tuple[str, ...]] = {}

    def candidates(self, char: str) -> tuple[str, ...]:
        """Look-alikes of `char` that the tokenizer (if any) does not normalise away."""
        if char not in self._seen:
            kept = survives(self.resources.tokenizer, char, look_alikes(char))
            self._seen[char] = tuple(kept)
        return self._seen[char]

    def propose(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        grapheme = units[index]
        options = self.candidates(grapheme.text)
        return (
            Proposal(Edit(grapheme.start, grapheme.end, rng.choice(options))) if options else None
        )
