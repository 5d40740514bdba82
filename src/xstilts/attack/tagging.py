"""The black-box adversarial search on tagged sentences.

Objective: lower the sentence's own score, its word accuracy or its entity F1, against its gold
tags, which every change carries along with the words (`xstilts.perturb.tagged.carry_tags`: a
typo keeps the word's tag, a code-switched entry's words are tagged by the phrase rule).

Units and candidates are the classification attack's (`xstilts.attack.search`): the sentence's
own words, a code-switching lexicon entry joined with the words it overlaps into one unit, and
for each unit the replacements each family proposes for it. Ranking differs: a word's
importance is how unsure the model is of its gold tag (lowest gold-tag probability first), read
off the clean prediction, where deleting a word would also delete the tag it is scored on.

Search: greedy (beam width 1) or a beam over sets of changed units. A state is better when its
score is lower, then when the mean probability of the gold tags is lower. Unlike a class flip,
a sentence's score can keep falling, so the search spends its word budget (or its query budget)
instead of stopping at the first wrong tag; it stops early only at score 0. An attack
*succeeds* when the final score is below the clean one. `steps` records the best state's score
counts after each change, so the score at a smaller word budget is read off one run (exact for
greedy search; for a beam, the state kept at the end need not be the best at fewer changes, so
smaller budgets read this way are an upper bound on the score).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field

import numpy as np

from xstilts.attack.budget import AttackBudget
from xstilts.attack.search import (
    Attacker,
    Change,
    PhraseFamily,
    Progress,
    Unit,
    drive,
    merge_units,
)
from xstilts.examples import TaggedExample
from xstilts.perturb.base import Edit, Perturbation
from xstilts.perturb.segment import Span
from xstilts.perturb.tagged import FIELD, TagScheme, carry_tags, word_spans
from xstilts.tag_metrics import Counts, tag_counts

TagSearch = Generator[list[TaggedExample], list[np.ndarray], "TagAttackResult"]


@dataclass(frozen=True)
class TagAttackResult:
    """One sentence's attack: the adversarial sentence with its carried gold tags, the clean and
    final score counts, and the best state's counts after each change (`steps`)."""

    original: TaggedExample
    adversarial: TaggedExample
    clean: Counts
    final: Counts
    steps: tuple[Counts, ...]
    queries: int
    perturbed_units: int
    total_units: int
    edits: tuple[Edit, ...]
    families: tuple[str, ...]
    adversarial_pred: tuple[int, ...]

    @property
    def succeeded(self) -> bool:
        return sentence_score(self.final) < sentence_score(self.clean)


@dataclass(frozen=True)
class _State:
    changes: tuple[Change, ...]
    counts: Counts
    confidence: float  # mean probability of the gold tags
    pred: tuple[int, ...]
    steps: tuple[Counts, ...] = ()

    def rank(self) -> tuple[float, float, int]:
        return (sentence_score(self.counts), self.confidence, len(self.changes))


@dataclass
class _TagJob:
    example: TaggedExample
    units: list[Unit]
    scheme: TagScheme
    metric: str
    answers: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)
    queries: int = 0

    def edits(self, changes: Sequence[Change]) -> tuple[Edit, ...]:
        """The changes as edits of the sentence's text (its words joined by spaces)."""
        units = self.units
        return tuple(
            sorted(
                (Edit(units[i].span.start, units[i].span.end, t) for i, t, _ in changes),
                key=lambda e: e.start,
            )
        )

    def build(self, changes: Sequence[Change]) -> TaggedExample:
        """The sentence with `changes` made and its gold tags carried along."""
        carried = carry_tags(
            self.example.words,
            self.example.tags,
            self.edits(changes),
            self.scheme,
            character_level=False,
            phrases=True,
        )
        return dataclasses.replace(self.example, words=carried.words, tags=carried.tags)

    def score(self, inputs: list[TaggedExample]) -> Generator[list[TaggedExample], list, list]:
        """Tag probabilities of `inputs`, asking only for the ones not asked before."""
        keys = [tuple(e.words) for e in inputs]
        missing = {k: e for k, e in zip(keys, inputs, strict=True) if k not in self.answers}
        if missing:
            probs = yield list(missing.values())
            self.answers.update(zip(missing, probs, strict=True))
            self.queries += len(missing)
        return [self.answers[k] for k in keys]

    def state(
        self,
        changes: tuple[Change, ...],
        built: TaggedExample,
        probs: np.ndarray,
        parent: _State | None = None,
    ) -> _State:
        """The state of `built` (the sentence with `changes`), one step after `parent`."""
        pred = tuple(int(t) for t in probs.argmax(axis=-1))
        gold = list(built.tags)
        counts = tag_counts(self.metric, gold, list(pred), self.scheme.names)
        confidence = float(probs[np.arange(len(gold)), gold].mean()) if gold else 0.0
        steps = () if parent is None else (*parent.steps, counts)
        return _State(changes, counts, confidence, pred, steps)


class TaggingAttacker(Attacker):
    """The classification attacker's units and candidates, with a tagging objective."""

    def __init__(
        self,
        families: dict[str, Perturbation],
        predict_fn,
        tag_names: Sequence[str],
        metric: str,
    ) -> None:
        super().__init__(None, None, "", families, predict_fn=predict_fn, cache=False)
        self.scheme, self.metric = TagScheme(tag_names), metric

    def attack_many(
        self,
        jobs: Sequence[tuple[TaggedExample, str, random.Random]],
        budget: AttackBudget,
        progress: Progress | None = None,
    ) -> list[TagAttackResult]:
        searches = [self._tag_search(self._tag_job(e, lang), budget, rng) for e, lang, rng in jobs]
        return drive(searches, self.predict_fn, progress)  # type: ignore[arg-type]

    def _tag_job(self, example: TaggedExample, language: str) -> _TagJob:
        text = example.text
        phrases = [
            p
            for family in self.families.values()
            if isinstance(family, PhraseFamily)
            for p in family.phrases(text, language)
        ]
        units = merge_units(FIELD, text, word_spans(example.words), phrases)
        return _TagJob(example, units, self.scheme, self.metric)

    def _tag_search(self, job: _TagJob, budget: AttackBudget, rng: random.Random) -> TagSearch:
        clean_probs = (yield from job.score([job.example]))[0]
        clean = job.state((), job.example, clean_probs)
        beams = [clean]
        max_changes = budget.max_changes(len(job.units))
        salt = rng.getrandbits(64)
        for index in self._tag_rank(job, clean_probs):
            if sentence_score(beams[0].counts) == 0.0 or job.queries >= budget.max_queries:
                break
            candidates = self._candidates(_AsJob(job.units, job.example.lang), index, budget, salt)
            expansions = [
                (s, tuple(sorted((*s.changes, (index, text, family)))))
                for s in beams
                if len(s.changes) < max_changes
                for family, text in candidates
            ][: max(budget.max_queries - job.queries, 0)]
            if not expansions:
                continue
            built = [job.build(changes) for _, changes in expansions]
            probs = yield from job.score(built)
            pool = beams + [
                job.state(changes, example, p, parent)
                for (parent, changes), example, p in zip(expansions, built, probs, strict=True)
            ]
            pool.sort(key=_State.rank)
            beams = pool[: budget.beam_width]
        return self._tag_result(job, beams[0], clean)

    def _tag_rank(self, job: _TagJob, clean_probs: np.ndarray) -> list[int]:
        """Units by their least sure word's gold-tag probability, lowest first."""
        gold = np.asarray(job.example.tags)
        sure = clean_probs[np.arange(len(gold)), gold]
        spans = word_spans(job.example.words)
        least = [
            min(
                (sure[w] for w, s in enumerate(spans) if _overlaps(s, unit)),
                default=1.0,
            )
            for unit in job.units
        ]
        return [int(i) for i in np.argsort(least, kind="stable")]

    def _tag_result(self, job: _TagJob, best: _State, clean: _State) -> TagAttackResult:
        adversarial = job.build(best.changes)
        return TagAttackResult(
            original=job.example,
            adversarial=adversarial,
            clean=clean.counts,
            final=best.counts,
            steps=best.steps,
            queries=job.queries,
            perturbed_units=len(best.changes),
            total_units=len(job.units),
            edits=job.edits(best.changes),
            families=tuple(family for _, _, family in best.changes),
            adversarial_pred=best.pred,
        )


@dataclass
class _AsJob:
    """What `Attacker._candidates` reads of a job: its units and language."""

    units: list[Unit]
    language: str


def _overlaps(span: Span, unit: Unit) -> bool:
    return span.start < unit.span.end and unit.span.start < span.end


def sentence_score(counts: Counts) -> float:
    """A sentence's score; one with nothing to score (no entity, gold or predicted) is whole."""
    return 1.0 if counts.score is None else counts.score
