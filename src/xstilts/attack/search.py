"""The black-box adversarial search: rank words by importance, then change them one at a time
with the candidates the perturbation families propose, greedily (beam width 1) or with a beam,
until the prediction flips or a budget runs out.

Ranking follows TextAttack's "greedy with word importance ranking": a word's importance is how
much the probability of the originally predicted class falls when the word is deleted. Each step
scores all candidate inputs of the step in one batch (dynamic padding, cached), so the cost per
query is that of batched inference, not of one forward pass per candidate.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from transformers import PreTrainedTokenizerBase

from xstilts.attack.budget import AttackBudget
from xstilts.attack.scorer import CachedScorer, Scorer
from xstilts.examples import Example
from xstilts.modeling.model import MultiTaskModel
from xstilts.perturb.base import Edit, Perturbation, apply_edits
from xstilts.perturb.examples import example_fields, with_fields
from xstilts.perturb.rng import rng_for
from xstilts.perturb.segment import Span, words

Progress = Callable[[float], None]


@dataclass(frozen=True)
class Unit:
    """One word of one field: what the attack may change."""

    field: str
    span: Span


@dataclass(frozen=True)
class AttackResult:
    """The outcome of one example's attack.

    `target` is the class the model predicted on the clean input; `flipped` says whether the
    adversarial input is predicted as anything else. `edits` are per field, as code-point
    offsets into the clean field text.
    """

    original: Example
    adversarial: Example
    target: int
    flipped: bool
    queries: int
    perturbed_units: int
    total_units: int
    edits: dict[str, tuple[Edit, ...]]
    families: tuple[str, ...]
    clean_probs: np.ndarray
    adversarial_probs: np.ndarray

    @property
    def perturbed_ratio(self) -> float:
        return self.perturbed_units / self.total_units if self.total_units else 0.0


@dataclass(frozen=True)
class _State:
    changes: tuple[tuple[int, str, str], ...]  # (unit index, replacement, family), by unit index
    prob: float  # probability of the target class
    probs: np.ndarray


class Attacker:
    """Attacks one model with candidates from a set of perturbation families."""

    def __init__(
        self,
        model: MultiTaskModel,
        tokenizer: PreTrainedTokenizerBase,
        head: str,
        families: dict[str, Perturbation],
        max_length: int = 128,
        batch_size: int = 64,
        scorer: Scorer | None = None,
    ) -> None:
        if not families:
            raise ValueError("an attack needs at least one perturbation family")
        self.families = families
        self.scorer = scorer or CachedScorer(model, tokenizer, head, max_length, batch_size)

    def attack(
        self,
        example: Example,
        language: str,
        budget: AttackBudget,
        rng: random.Random,
        progress: Progress | None = None,
    ) -> AttackResult:
        self.scorer.reset()
        fields = example_fields(example)
        units = [Unit(f, s) for f, text in fields.items() for s in words(text, language)]
        clean = self.scorer.score([example])[0]
        target = int(clean.argmax())
        start = _State((), float(clean[target]), clean)
        if not units:
            return self._result(example, fields, units, start, target, clean)
        order = self._rank(example, fields, units, target, budget)
        salt = rng.getrandbits(64)
        beams, max_changes = [start], budget.max_changes(len(units))
        for step, index in enumerate(order):
            remaining = budget.max_queries - self.scorer.queries
            candidates = self._candidates(units[index], index, language, budget, salt)
            expansions = [
                (*s.changes, (index, text, family))
                for s in beams
                if len(s.changes) < max_changes
                for family, text in candidates
            ][: max(remaining, 0)]
            if expansions:
                beams = self._select(example, fields, units, beams, expansions, target, budget)
            if progress is not None:
                progress((step + 1) / len(order))
            if _flipped(beams[0], target) or self.scorer.queries >= budget.max_queries:
                break
        return self._result(example, fields, units, beams[0], target, clean)

    def _rank(
        self,
        example: Example,
        fields: dict[str, str],
        units: list[Unit],
        target: int,
        budget: AttackBudget,
    ) -> list[int]:
        """Unit indices, most important first (deletion leave-one-out, within the budget)."""
        affordable = max(0, budget.max_queries - self.scorer.queries - 1)
        if affordable < len(units):  # not enough queries to rank everything: keep text order
            return list(range(len(units)))
        deleted = [_build(example, fields, units, ((i, "", ""),)) for i in range(len(units))]
        probs = self.scorer.score(deleted)[:, target]
        return [int(i) for i in np.argsort(probs, kind="stable")]

    def _candidates(
        self, unit: Unit, index: int, language: str, budget: AttackBudget, salt: int
    ) -> list[tuple[str, str]]:
        seen: dict[str, str] = {}
        for name, family in self.families.items():
            rng = rng_for(salt, unit.field, str(index), name)
            variants = family.word_variants(
                unit.span.text, language, rng, budget.candidates_per_unit
            )
            for text in variants:
                if text != unit.span.text:
                    seen.setdefault(text, name)
        return [(family, text) for text, family in seen.items()]

    def _select(
        self,
        example: Example,
        fields: dict[str, str],
        units: list[Unit],
        beams: list[_State],
        expansions: list[tuple[tuple[int, str, str], ...]],
        target: int,
        budget: AttackBudget,
    ) -> list[_State]:
        """The best `beam_width` states among the current beams and their expansions."""
        inputs = [_build(example, fields, units, changes) for changes in expansions]
        probs = self.scorer.score(inputs)
        pool = beams + [
            _State(tuple(sorted(c)), float(p[target]), p)
            for c, p in zip(expansions, probs, strict=True)
        ]
        pool.sort(key=lambda s: (not _flipped(s, target), s.prob, len(s.changes)))
        return pool[: budget.beam_width]

    def _result(
        self,
        example: Example,
        fields: dict[str, str],
        units: list[Unit],
        state: _State,
        target: int,
        clean: np.ndarray,
    ) -> AttackResult:
        edits = _edits(units, state.changes)
        return AttackResult(
            original=example,
            adversarial=_build(example, fields, units, state.changes),
            target=target,
            flipped=_flipped(state, target),
            queries=self.scorer.queries,
            perturbed_units=len(state.changes),
            total_units=len(units),
            edits=edits,
            families=tuple(family for _, _, family in state.changes),
            clean_probs=clean,
            adversarial_probs=state.probs,
        )


def _flipped(state: _State, target: int) -> bool:
    return int(state.probs.argmax()) != target


def _edits(
    units: Sequence[Unit], changes: Sequence[tuple[int, str, str]]
) -> dict[str, tuple[Edit, ...]]:
    by_field: dict[str, list[Edit]] = {}
    for index, text, _ in changes:
        unit = units[index]
        by_field.setdefault(unit.field, []).append(Edit(unit.span.start, unit.span.end, text))
    return {f: tuple(sorted(e, key=lambda x: x.start)) for f, e in by_field.items()}


def _build(
    example: Example,
    fields: dict[str, str],
    units: Sequence[Unit],
    changes: Sequence[tuple[int, str, str]],
) -> Example:
    edits = _edits(units, changes)
    return with_fields(example, {f: apply_edits(fields[f], e) for f, e in edits.items()})
