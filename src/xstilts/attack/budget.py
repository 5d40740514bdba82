"""How much an attack may change and ask: the edit and query budgets."""

from __future__ import annotations

import math
from dataclasses import dataclass

from xstilts.errors import XstiltsError


@dataclass(frozen=True)
class AttackBudget:
    """Limits of one adversarial search.

    - `max_unit_fraction`: the fraction of an example's units (all perturbable fields together)
      the attack may change. Units are words from a real word segmenter (ICU) also for unspaced
      scripts. Segmenters still cut one content into different numbers of words (ICU finds
      more words in a Chinese sentence than in its Russian translation), so on a parallel test
      set the fraction is of the units of the same example in English (`max_changes`'
      `reference_units`): the same example gets the same number of changes in every language.
      A phrase that a family switches whole (a code-switching lexicon entry such as Vietnamese
      "dei dáng", or a Chinese word ICU splits into characters) is one unit, together with
      every word it overlaps: it counts once among the units and once among the changes,
      whatever the segmenter made of it, so a multi-word entry costs what a one-word entry
      costs.
    - `max_queries`: model evaluations (distinct inputs scored) per example, ranking included.
    - `beam_width`: 1 is greedy search; more keeps that many partial attacks.
    - `candidates_per_unit`: candidate replacements each family proposes for one word.
    """

    max_unit_fraction: float = 0.2
    max_queries: int = 200
    beam_width: int = 1
    candidates_per_unit: int = 4

    def __post_init__(self) -> None:
        if not 0.0 < self.max_unit_fraction <= 1.0:
            raise XstiltsError(
                f"attack budget: max_unit_fraction must be in (0, 1], got {self.max_unit_fraction}"
            )
        for name in ("max_queries", "beam_width", "candidates_per_unit"):
            if int(getattr(self, name)) < 1:
                raise XstiltsError(f"attack budget: {name} must be at least 1")

    def max_changes(self, total_units: int, reference_units: int | None = None) -> int:
        """Units that may change: floor(fraction x reference_units, default the example's own
        units), at least one, at most the example's own units."""
        base = total_units if reference_units is None else reference_units
        return min(total_units, max(1, math.floor(self.max_unit_fraction * base)))
