"""The one interface every perturbation family implements, and the edits it records.

A family proposes an edit for one unit (a grapheme or a word) at a time; `Perturbation.apply`
draws units in a seeded random order, keeps proposals that fit the edit budget, do not touch an
earlier edit and (unless the family declares `breaks_clusters`) leave every grapheme cluster
around them intact, and returns the perturbed text with its edits as code-point offsets into the
original text, so labels on spans can be re-aligned later.

The edit budget is ceil(strength x units), counted in the units each edit changes (a swap changes
two, a code-switched phrase each of its words). One rule keeps a positive strength from being a
no-op on short fields: when no edit fits the budget but one is possible, the first possible edit
in the seeded order is made alone, whatever it costs (at strength 0.1 a field of ten words has a
budget of one word, and a word swap changes two). Otherwise every edit fits the budget.
"""

from __future__ import annotations

import itertools
import math
import random
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import regex

from xstilts.perturb.errors import BadInputError
from xstilts.perturb.segment import (
    Span,
    grapheme_spans,
    graphemes,
    is_letter,
    stay_apart,
    surely_apart,
    words,
)

if TYPE_CHECKING:
    from xstilts.perturb.resources import Resources

_SURROGATE = regex.compile(r"[\ud800-\udfff]")
VARIANT_PASSES = 3  # passes over a word's units when collecting attack candidates


@dataclass(frozen=True)
class Edit:
    """Replace `original[start:end]` by `replacement` (code-point offsets; start == end inserts)."""

    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class Perturbed:
    """A perturbed text, the edits that made it from the original, and how much was edited.

    `n_units` counts the units (graphemes or words, per the family's `unit`) of the original and
    `n_edited` those the edits changed, for the perturbed-unit ratio.
    """

    text: str
    edits: tuple[Edit, ...]
    family: str
    n_units: int = 0
    n_edited: int = 0


@dataclass(frozen=True)
class Proposal:
    """One edit a family proposes and how many units it changes (a swap changes two)."""

    edit: Edit
    cost: int = 1


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits (offsets into `text`) in one pass."""
    pieces, cursor = [], 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < cursor or edit.end < edit.start or edit.end > len(text):
            raise ValueError(f"edits overlap or fall outside the text: {edit}")
        pieces.append(text[cursor : edit.start])
        pieces.append(edit.replacement)
        cursor = edit.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def units_changed(units: Sequence[Span], edit: Edit) -> int:
    """The units an edit changes, as a family counts them for its budget (at least one: an
    insertion between units costs one)."""
    return max(1, sum(1 for u in units if u.start < edit.end and edit.start < u.end))


def check_text(text: object) -> str:
    if not isinstance(text, str):
        raise BadInputError(f"perturbations take text as str, got {type(text).__name__}")
    surrogate = _SURROGATE.search(text)
    if surrogate:
        raise BadInputError(
            f"text has a lone surrogate at offset {surrogate.start()}; decode the input as "
            "strict UTF-8 before perturbing it"
        )
    return text


def check_strength(strength: object) -> float:
    if not isinstance(strength, int | float) or not 0.0 <= strength <= 1.0:
        raise BadInputError(f"strength must be a number in [0, 1], got {strength!r}")
    return float(strength)


class Perturbation(ABC):
    """A perturbation family: one way of changing text, applied to a fraction of its units."""

    name: ClassVar[str]
    unit: ClassVar[str]  # "grapheme" or "word": what strength counts
    breaks_clusters: ClassVar[bool] = False

    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    def supports(self, language: str) -> bool:
        """Whether the family has what it needs for `language` (a layout, a lexicon...)."""
        return True

    def units(self, text: str, language: str) -> list[Span]:
        """The units strength counts: the words, or the letter graphemes inside words."""
        spans = words(text, language)
        if self.unit == "word":
            return spans
        return [g for w in spans for g in _grapheme_spans_in(w) if is_letter(g.text)]

    @abstractmethod
    def propose(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        """An edit of `units[index]` (and maybe its neighbours), or None if none applies."""

    def apply(self, text: str, language: str, strength: float, rng: random.Random) -> Perturbed:
        """Edit at most ceil(strength * n_units) units of `text`, or make the one possible edit
        that exceeds it when none fits (see the module docstring); strength 0 changes nothing."""
        check_text(text)
        strength = check_strength(strength)
        if strength == 0.0 or not text:
            return Perturbed(text, (), self.name)
        return self.apply_to_units(text, language, self.units(text, language), strength, rng)

    def apply_to_units(
        self,
        text: str,
        language: str,
        units: Sequence[Span],
        strength: float,
        rng: random.Random,
    ) -> Perturbed:
        """`apply` over units the caller chose instead of `units(text, language)`.

        A pre-segmented sentence (a tagging dataset's words) must be perturbed over its own
        words: re-segmenting the joined text would split or merge the words that carry the gold
        tags. The units must be spans of `text` of the family's kind (words, or graphemes inside
        words), in order; budget, seeded order and edit checks are those of `apply`."""
        check_text(text)
        strength = check_strength(strength)
        if strength == 0.0 or not text:
            return Perturbed(text, (), self.name)
        units = list(units)
        return self._perturb(text, language, units, math.ceil(strength * len(units)), rng)

    def word_variants(self, word: str, language: str, rng: random.Random, k: int) -> list[str]:
        """Up to k distinct single-edit perturbations of one word ([] when none applies).

        Units are visited in a seeded random order, each proposal giving one candidate; a few
        passes allow families whose proposals are random to offer more than one per unit."""
        check_text(word)
        units = self.units(word, language) if word else []
        guard = None if self.breaks_clusters else ClusterGuard(word)
        order = list(range(len(units)))
        rng.shuffle(order)
        variants: dict[str, None] = {}
        for _ in range(VARIANT_PASSES if units and k > 0 else 0):
            for index in order:
                proposal = self.propose(word, language, units, index, rng)
                if proposal is None or not _Taken(guard).add(proposal.edit):
                    continue
                text = apply_edits(word, (proposal.edit,))
                if text != word:
                    variants.setdefault(text, None)
                if len(variants) >= k:
                    return list(variants)
        return list(variants)

    def _perturb(
        self,
        text: str,
        language: str,
        units: list[Span],
        budget: int,
        rng: random.Random,
    ) -> Perturbed:
        """Accept proposals in a seeded order while they fit `budget`; if none did, the first
        admissible proposal that was too costly is made alone (any positive strength edits)."""
        taken = _Taken(None if self.breaks_clusters else ClusterGuard(text))
        used = 0
        too_costly: list[Proposal] = []
        order = list(range(len(units)))
        rng.shuffle(order)
        for index in order:
            if used >= budget:
                break
            proposal = self.propose(text, language, units, index, rng)
            if proposal is None:
                continue
            if used + proposal.cost > budget:
                if not taken:
                    too_costly.append(proposal)
                continue
            if taken.add(proposal.edit):
                used += proposal.cost
        if not taken:
            for proposal in too_costly:
                if taken.add(proposal.edit):
                    used += proposal.cost
                    break
        edits = taken.edits()
        return Perturbed(apply_edits(text, edits), edits, self.name, len(units), used)


class _Taken:
    """The edits accepted so far: no two overlap, an insertion touches no other edit, and a run
    of adjacent replacements is checked as one edit, so neighbours cannot merge clusters."""

    def __init__(self, guard: ClusterGuard | None) -> None:
        self._guard = guard
        self._by_start: dict[int, Edit] = {}
        self._by_end: dict[int, Edit] = {}
        self._covered: set[int] = set()
        self._inserts: set[int] = set()
        self._accepted: list[Edit] = []

    def add(self, edit: Edit) -> bool:
        if self._conflicts(edit) or not self._keeps_clusters(edit):
            return False
        if edit.start == edit.end:
            self._inserts.add(edit.start)
        else:
            self._covered.update(range(edit.start, edit.end))
            self._by_start[edit.start] = edit
            self._by_end[edit.end] = edit
        self._accepted.append(edit)
        return True

    def __len__(self) -> int:
        return len(self._accepted)

    def edits(self) -> tuple[Edit, ...]:
        return tuple(sorted(self._accepted, key=lambda e: (e.start, e.end)))

    def _conflicts(self, edit: Edit) -> bool:
        if edit.start == edit.end:
            p = edit.start
            return p in self._covered or p - 1 in self._covered or p in self._inserts
        if not self._covered.isdisjoint(range(edit.start, edit.end)):
            return True
        return not self._inserts.isdisjoint(range(edit.start, edit.end + 1))

    def _keeps_clusters(self, edit: Edit) -> bool:
        if self._guard is None:
            return True
        left, right = self._by_end.get(edit.start), self._by_start.get(edit.end)
        if (left is None or left.replacement) and (right is None or right.replacement):
            # each seam meets a neighbour's replacement, or the text's own cluster
            before = left.replacement if left else None
            after = right.replacement if right else None
            if self._guard.surely_keeps(edit, before, after):
                return True
        run = [edit]
        while run[0].start != run[0].end and run[0].start in self._by_end:
            run.insert(0, self._by_end[run[0].start])
        while run[-1].start != run[-1].end and run[-1].end in self._by_start:
            run.append(self._by_start[run[-1].end])
        joined = "".join(e.replacement for e in run)
        merged = Edit(run[0].start, run[-1].end, joined)
        if len(run) > 1 and not stay_apart(*(e.replacement for e in run)):
            return False
        return self._guard.keeps(merged)


def _grapheme_spans_in(word: Span) -> list[Span]:
    return [
        Span(word.start + g.start, word.start + g.end, g.text) for g in grapheme_spans(word.text)
    ]


class ClusterGuard:
    """Checks that an edit leaves the grapheme clusters on either side of it as they were.

    Inserting a consonant after a Devanagari virama, a combining mark after a letter or a
    regional indicator next to another would merge clusters; such edits are refused.
    """

    def __init__(self, text: str) -> None:
        clusters = graphemes(text)
        bounds = list(itertools.accumulate(map(len, clusters), initial=0))
        self._by_start = dict(zip(bounds, clusters, strict=False))
        self._by_end = dict(zip(bounds[1:], clusters, strict=True))
        self._boundaries = set(bounds)

    def surely_keeps(self, edit: Edit, before: str | None = None, after: str | None = None) -> bool:
        """A quick sufficient test for `keeps`, given the pieces that will stand on either side
        of the edit (a neighbouring edit's non-empty replacement; by default the text's own
        clusters): the edit lies on cluster boundaries and each seam is a break no rule can
        remove (`surely_apart`), so every piece keeps its own clusters."""
        if edit.start not in self._boundaries or edit.end not in self._boundaries:
            return False
        before = self._by_end.get(edit.start, "") if before is None else before
        after = self._by_start.get(edit.end, "") if after is None else after
        return surely_apart(before, edit.replacement, after)

    def keeps(self, edit: Edit) -> bool:
        if edit.start not in self._boundaries or edit.end not in self._boundaries:
            return False
        before, after = self._by_end.get(edit.start), self._by_start.get(edit.end)
        if surely_apart(before or "", edit.replacement, after or ""):
            return True
        pieces = [p for p in (before, edit.replacement, after) if p]
        expected = [*([before] if before else []), *graphemes(edit.replacement)]
        expected += [after] if after else []
        return graphemes("".join(pieces)) == expected
