"""Substituted letters: a grapheme's base letter becomes another letter of its own alphabet.

In abugidas the vowel signs stay and a consonant is only replaced by a consonant (see
`alphabets.replace_letter`), so "कि" may become "खि" but never a vowel with a vowel sign. A Thai
vowel written before its consonant stays in front of the new one, a Hebrew shin or sin dot goes
with the shin it belonged to, and conjoining Hangul jamo get a new leading consonant only, so
they still compose into a syllable.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from xstilts.perturb import register
from xstilts.perturb.alphabets import alphabet, replace_letter
from xstilts.perturb.base import Edit, Perturbation, Proposal
from xstilts.perturb.segment import Span, char_script

_TRIES = 8


@register
class CharSubstitute(Perturbation):
    name = "char_substitute"
    unit = "grapheme"

    def propose(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        grapheme = units[index]
        script = char_script(grapheme.text[0])
        letters = alphabet(language, script, text)
        for _ in range(_TRIES if letters else 0):
            new = replace_letter(grapheme.text, rng.choice(letters), script)
            if new and new != grapheme.text:
                return Proposal(Edit(grapheme.start, grapheme.end, new))
        return None
