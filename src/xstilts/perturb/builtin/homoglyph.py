"""Homoglyphs: a letter becomes a look-alike from another script or block.

Candidates come from Unicode's confusables table (the `confusables` package), keeping single
code points of the Basic Multilingual Plane (historic scripts beyond it render as boxes on most
systems) that look like the letter itself, not a case or accent variant of it (its mark-less
case fold differs), in the same case, with no combining marks of their own, and stable under
NFKC: XLM-R's nmt_nfkc normaliser maps fullwidth and mathematical letters back to ASCII, so those
would be no perturbation at all. With a tokenizer in `Resources`, only candidates whose token ids
differ from the original letter's are used.

The confusables table lists pairs that look alike in isolation; in running text two more rules
keep an edit a look-alike (`fits_in_place`):
- a letter stands in for a letter and a digit for a digit (Tamil க is not its digit ௧);
- a letter of a cursive script (one that joins its neighbours: Arabic, Syriac, N'Ko, ...) is
  replaced only by a letter of the same script with the same joining type, or the word's joined
  shape breaks (a Canadian syllabic or a Hebrew letter in an Arabic word). Any other letter is
  replaced only by one from another script: a same-script "look-alike" is another letter of the
  same alphabet (Thai ท and ฑ), a misspelling, not a homoglyph. Within Arabic script the
  orthographic variants that do join alike stay (Arabic kaf ك and keheh ک).
"""

from __future__ import annotations

import functools
import random
import unicodedata
from collections.abc import Sequence

import regex
from confusables import confusable_characters

from xstilts.perturb import register
from xstilts.perturb.base import Edit, Perturbation, Proposal
from xstilts.perturb.effective import survives
from xstilts.perturb.resources import Resources
from xstilts.perturb.segment import Span, char_script


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
    same_case = other.islower() == char.islower() and other.isupper() == char.isupper()
    return same_case and fits_in_place(char, other)


_JOINING_TYPES = tuple((jt, regex.compile(rf"\p{{jt={jt}}}")) for jt in "DRLC")


def joining_type(char: str) -> str:
    """Unicode Joining_Type: D, R, L or C for letters that join their neighbours, else "U"."""
    return next((jt for jt, pattern in _JOINING_TYPES if pattern.match(char)), "U")


def fits_in_place(char: str, other: str) -> bool:
    """Whether `other` can stand where `char` stands and still read as the same letter: the same
    kind (letter or digit); in a cursive script the same script and joining type; elsewhere
    another script (see the module docstring)."""
    if unicodedata.category(other)[0] != unicodedata.category(char)[0]:
        return False
    joins, other_joins = joining_type(char), joining_type(other)
    if joins != "U" or other_joins != "U":
        return joins == other_joins and char_script(char) == char_script(other)
    return char_script(char) != char_script(other)


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
