"""Homoglyphs: a letter becomes a look-alike from another script or block.

Candidates are the characters Unicode's confusables data (UTS #39, the `confusables.txt` that the
`confusables` package ships) gives the same prototype as the letter: two characters are
confusable when they map to the same skeleton. (The package's own `confusable_characters` adds
both cases and follows mappings two steps further, so that `O` would take a Greek `Σ` and `V` a
Greek `Ν`; its groups are not used.) Kept are single code points of the Basic Multilingual Plane
(historic scripts beyond it render as boxes on most systems) that look like the letter itself,
not a case or accent variant of it (its mark-less case fold differs), in the same case, with no
combining marks of their own, and stable under NFKC: XLM-R's nmt_nfkc normaliser maps fullwidth
and mathematical letters back to ASCII, so those would be no perturbation at all. With a
tokenizer in `Resources`, only candidates whose token ids differ from the original letter's are
used.

The confusables table lists pairs that look alike in isolation; in running text two more rules
keep an edit a look-alike (`fits_in_place`):
- a letter stands in for a letter and a digit for a digit (Tamil க is not its digit ௧);
- a letter of any other script than a cursive one is replaced only by one from another script: a
  same-script "look-alike" is another letter of the same alphabet (Thai ท and ฑ), a misspelling,
  not a homoglyph.
A letter of a cursive script (one that joins its neighbours) takes another script's letter
nowhere (a Canadian syllabic or a Hebrew letter in an Arabic word breaks its joined shape), and
the confusables data is no guide within the script: it maps Arabic yeh, alef maksura, Farsi yeh,
dotless beh and noon ghunna to one skeleton and theh to peh, ignoring the dots that tell them
apart. Its look-alikes are the pairs of `CURSIVE_LOOK_ALIKES`, each in the positions of the word
(initial, medial, final, isolated) where the two are drawn with the same body and the same dots:
Arabic kaf and keheh only before a joined letter, where kaf has no inner stroke, yeh and Farsi yeh
there too, Farsi yeh and alef maksura only at the end of a word, where neither has dots.
"""

from __future__ import annotations

import functools
import random
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import confusables
import regex

from xstilts.perturb import register
from xstilts.perturb.base import Edit, Perturbation, Proposal
from xstilts.perturb.effective import survives
from xstilts.perturb.resources import Resources
from xstilts.perturb.segment import Span, char_script

INITIAL, MEDIAL, FINAL, ISOLATED = "initial", "medial", "final", "isolated"
_JOINED_AFTER = frozenset({INITIAL, MEDIAL})  # a letter joined to the one after it
_WORD_END = frozenset({FINAL, ISOLATED})

# Letters of cursive scripts that are drawn alike, and where (see the module docstring).
CURSIVE_LOOK_ALIKES: dict[frozenset[str], frozenset[str]] = {
    frozenset("كک"): _JOINED_AFTER,  # kaf, keheh: kaf's inner stroke only at a word's end
    frozenset("يی"): _JOINED_AFTER,  # yeh, Farsi yeh: two dots below until the word ends
    frozenset("ىی"): _WORD_END,  # alef maksura, Farsi yeh: dotless at the end
    frozenset("ٹڻ"): _JOINED_AFTER,  # tteh, rnoon: one tooth and a small tah above
    frozenset("ٻې"): _JOINED_AFTER,  # beeh, e: one tooth and two dots below, one above the other
}

_CONFUSABLES_TXT = Path(confusables.__file__).parent / "assets" / "confusables.txt"


@functools.cache
def _by_prototype() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """confusables.txt as character -> prototype, and prototype -> the characters mapped to it."""
    prototype: dict[str, str] = {}
    for line in _CONFUSABLES_TXT.read_text(encoding="utf-8-sig").splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) < 2:
            continue
        source = "".join(chr(int(h, 16)) for h in fields[0].split())
        prototype[source] = "".join(chr(int(h, 16)) for h in fields[1].split())
    members: dict[str, list[str]] = {}
    for char, proto in prototype.items():
        members.setdefault(proto, []).append(char)
    return prototype, {proto: tuple(chars) for proto, chars in members.items()}


def confusable_with(char: str) -> tuple[str, ...]:
    """Every character with the skeleton of `char` (UTS #39 prototypes), `char` excluded."""
    prototype, members = _by_prototype()
    proto = prototype.get(char, char)
    found = {proto, *members.get(proto, ())} - {char}
    return tuple(sorted(c for c in found if len(c) == 1))


@functools.cache
def look_alikes(char: str) -> tuple[str, ...]:
    """Look-alikes of `char` that survive NFKC and are not mere variants; for a letter of a
    cursive script, those of `CURSIVE_LOOK_ALIKES` in any position."""
    if len(char) != 1:
        return ()
    if joining_type(char) != "U":
        pairs = (pair for pair in CURSIVE_LOOK_ALIKES if char in pair)
        return tuple(sorted(c for pair in pairs for c in pair if c != char))
    return tuple(c for c in confusable_with(char) if _is_look_alike(char, c))


def look_alikes_at(char: str, position: str) -> tuple[str, ...]:
    """`look_alikes(char)` that look like it in `position` of a word (a cursive letter's shape
    depends on it; any other letter's does not)."""
    return tuple(
        other
        for other in look_alikes(char)
        if position in CURSIVE_LOOK_ALIKES.get(frozenset((char, other)), _ANYWHERE)
    )


_ANYWHERE = frozenset({INITIAL, MEDIAL, FINAL, ISOLATED})


def joined_position(text: str, index: int) -> str:
    """Where `text[index]` stands in its joined word: joined to the letter before it, after it,
    both or neither (transparent marks between letters are skipped, as shaping skips them)."""
    own = joining_type(text[index])
    before = _neighbour(text, index, -1)
    after = _neighbour(text, index, 1)
    joins_before = own in "DRC" and before in "DLC"
    joins_after = own in "DLC" and after in "DRC"
    if joins_before:
        return MEDIAL if joins_after else FINAL
    return INITIAL if joins_after else ISOLATED


def _neighbour(text: str, index: int, step: int) -> str:
    """The joining type of the nearest non-transparent character in direction `step`."""
    index += step
    while 0 <= index < len(text):
        kind = joining_type(text[index])
        if kind != "T":
            return kind
        index += step
    return "U"


def _is_look_alike(char: str, other: str) -> bool:
    if other == char or ord(other) > 0xFFFF or unicodedata.normalize("NFKC", other) != other:
        return False
    if unicodedata.category(other)[0] not in "LN" or _fold(other) == _fold(char):
        return False
    if any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", other)):
        return False
    same_case = other.islower() == char.islower() and other.isupper() == char.isupper()
    return same_case and fits_in_place(char, other)


_JOINING_TYPES = tuple((jt, regex.compile(rf"\p{{jt={jt}}}")) for jt in "DRLCT")


@functools.lru_cache(maxsize=4096)
def joining_type(char: str) -> str:
    """Unicode Joining_Type: D, R, L or C for letters that join their neighbours, T for the
    marks that shaping skips, else "U"."""
    return next((jt for jt, pattern in _JOINING_TYPES if pattern.match(char)), "U")


def fits_in_place(char: str, other: str) -> bool:
    """Whether `other` can stand where `char` stands and still read as the same letter: the same
    kind (letter or digit); in a cursive script the same script and joining type; elsewhere
    another script (see the module docstring)."""
    if unicodedata.category(other)[0] != unicodedata.category(char)[0]:
        return False
    joins, other_joins = _joins(char), _joins(other)
    if joins != "U" or other_joins != "U":
        return joins == other_joins and char_script(char) == char_script(other)
    return char_script(char) != char_script(other)


def _joins(char: str) -> str:
    """The joining type of a letter ("T" marks are no letters: "U" here)."""
    kind = joining_type(char)
    return "U" if kind == "T" else kind


def _fold(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@register
class Homoglyph(Perturbation):
    name = "homoglyph"
    unit = "grapheme"

    def __init__(self, resources: Resources) -> None:
        super().__init__(resources)
        self._seen: dict[tuple[str, str], tuple[str, ...]] = {}

    def candidates(self, char: str, position: str = ISOLATED) -> tuple[str, ...]:
        """Look-alikes of `char` in `position` of its word that the tokenizer (if any) does not
        normalise away."""
        key = (char, position if joining_type(char) != "U" else ISOLATED)
        if key not in self._seen:
            kept = survives(self.resources.tokenizer, char, look_alikes_at(*key))
            self._seen[key] = tuple(kept)
        return self._seen[key]

    def propose(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        grapheme = units[index]
        if len(grapheme.text) != 1:
            return None
        options = self.candidates(grapheme.text, joined_position(text, grapheme.start))
        return (
            Proposal(Edit(grapheme.start, grapheme.end, rng.choice(options))) if options else None
        )
