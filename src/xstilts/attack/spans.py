"""The black-box adversarial search on span-QA examples.

Objective: lower the F1 of the answer the model picks, against the gold answers as the attack's
edits left them. The attack changes the question's words and the context's words, answers
included, under the perturbations' own rule (`xstilts.perturb.spans`): a word inside an answer
rewrites the gold, a unit that reaches over an answer's edge is not a unit, and a change that
would empty an answer is not a candidate.

Units and candidates are the classification attack's (`xstilts.attack.search`): each field's
words, code-switching lexicon entries joined with the words they overlap, and the replacements
each family proposes.

Ranking, without queries (a leave-one-out pass over a context's hundred-odd words would spend
the whole query budget): the question's words first, in text order, then the context's words
nearest the answer first (the answer's own words at distance 0), where an extractive reader
looks. Search: greedy or a beam over sets
of changed units; a state is better when the answer's F1 is lower, then when the model's
probability of the gold span is lower. Like the tagging attack, it spends its word or query
budget instead of stopping at the first worse answer, and stops early only at F1 0. An attack
*succeeds* when the final F1 is below the clean one; `steps` records the best state's F1 after
each change (exact at smaller word budgets for greedy search, an upper bound for a beam).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

from xstilts.attack.budget import AttackBudget
from xstilts.attack.search import Attacker, Change, Progress, Unit, drive
from xstilts.examples import SpanExample
from xstilts.modeling.predict_spans import Answer
from xstilts.perturb.base import Edit, Perturbation, apply_edits
from xstilts.perturb.spans import CONTEXT, QUESTION, carry_answers, cuts_edge
from xstilts.qa_metrics import score

Scored = tuple[Answer, float]  # an answer and the gold span's probability
SpanSearch = Generator[list[SpanExample], list[Scored], "SpanAttackResult"]


@dataclass(frozen=True)
class SpanAttackResult:
    """One question's attack: the adversarial example (answers carried along), the clean and final
    answers and F1, and the best state's F1 after each change (`steps`)."""

    original: SpanExample
    adversarial: SpanExample
    clean_answer: Answer
    answer: Answer
    clean_f1: float
    f1: float
    exact_match: float
    steps: tuple[float, ...]
    queries: int
    perturbed_units: int
    total_units: int
    edits: dict[str, tuple[Edit, ...]]
    families: tuple[str, ...]

    @property
    def succeeded(self) -> bool:
        return self.f1 < self.clean_f1


@dataclass(frozen=True)
class _State:
    changes: tuple[Change, ...]
    answer: Answer
    f1: float
    exact_match: float
    gold_probability: float
    steps: tuple[float, ...] = ()

    def rank(self) -> tuple[float, float, int]:
        return (self.f1, self.gold_probability, len(self.changes))


@dataclass
class _SpanJob:
    example: SpanExample
    units: list[Unit]
    normalization: str
    answers: dict[tuple, Scored] = field(default_factory=dict)
    queries: int = 0

    @property
    def language(self) -> str:
        return self.example.lang

    def edits(self, changes: Sequence[Change]) -> dict[str, tuple[Edit, ...]]:
        by_field: dict[str, list[Edit]] = {QUESTION: [], CONTEXT: []}
        for index, text, _ in changes:
            unit = self.units[index]
            by_field[unit.field].append(Edit(unit.span.start, unit.span.end, text))
        return {f: tuple(sorted(e, key=lambda x: x.start)) for f, e in by_field.items() if e}

    def build(self, changes: Sequence[Change]) -> SpanExample | None:
        """The example after `changes`, its answers carried along; None when a change would
        empty an answer (units never reach over an answer's edge)."""
        edits = self.edits(changes)
        example = self.example
        context_edits = edits.get(CONTEXT, ())
        carried = carry_answers(example.context, example.answers, example.starts, context_edits)
        if carried.dropped:
            return None
        return dataclasses.replace(
            example,
            question=apply_edits(example.question, edits.get(QUESTION, ())),
            context=apply_edits(example.context, context_edits),
            answers=carried.answers,
            starts=carried.starts,
        )

    def score(self, inputs: list[SpanExample]) -> Generator[list[SpanExample], list, list[Scored]]:
        """Answers of `inputs`, asking only for the ones not asked before."""
        keys = [(e.question, e.context, e.answers, e.starts) for e in inputs]
        missing = {k: e for k, e in zip(keys, inputs, strict=True) if k not in self.answers}
        if missing:
            scored = yield list(missing.values())
            self.answers.update(zip(missing, scored, strict=True))
            self.queries += len(missing)
        return [self.answers[k] for k in keys]

    def state(
        self,
        changes: tuple[Change, ...],
        scored: Scored,
        example: SpanExample,
        parent: _State | None = None,
    ) -> _State:
        """The search state of `example` (the built `changes`), scored against its answers."""
        answer, probability = scored
        em, f1 = score(answer.text, example.answers, self.normalization, self.language)
        steps = () if parent is None else (*parent.steps, f1)
        return _State(changes, answer, f1, em, probability, steps)


class SpanAttacker(Attacker):
    """The classification attacker's units and candidates, with a span-F1 objective;
    `score_fn` gives (answer, gold-span probability) per example
    (`xstilts.evaluate.spans.scored_answers`)."""

    def __init__(
        self,
        families: dict[str, Perturbation],
        score_fn: Callable[[list[SpanExample]], list[Scored]],
        normalization: str,
    ) -> None:
        super().__init__(None, None, "", families, predict_fn=score_fn, cache=False)
        self.normalization = normalization

    def attack_many(  # type: ignore[override]
        self,
        jobs: Sequence[tuple[SpanExample, str, random.Random]],
        budget: AttackBudget,
        progress: Progress | None = None,
    ) -> list[SpanAttackResult]:
        searches = [self._span_search(self.span_job(e), budget, rng) for e, _, rng in jobs]
        return drive(searches, self.predict_fn, progress)  # type: ignore[arg-type]

    def span_job(self, example: SpanExample) -> _SpanJob:
        """The example's units: the question's, then the context's that reach over no answer's
        edge, nearest an answer first."""
        bounds = [(s, s + len(a)) for s, a in zip(example.starts, example.answers, strict=True)]
        question = self._units(QUESTION, example.question, example.lang)
        context = [
            u
            for u in self._units(CONTEXT, example.context, example.lang)
            if not any(cuts_edge(_as_edit(u), lo, hi) for lo, hi in bounds)
        ]
        context.sort(key=lambda u: min((_distance(u, lo, hi) for lo, hi in bounds), default=0))
        return _SpanJob(example, question + context, self.normalization)

    def _span_search(self, job: _SpanJob, budget: AttackBudget, rng: random.Random) -> SpanSearch:
        clean = job.state((), (yield from job.score([job.example]))[0], job.example)
        beams = [clean]
        max_changes = budget.max_changes(len(job.units)) if job.units else 0
        salt = rng.getrandbits(64)
        for index in range(len(job.units)):
            if beams[0].f1 == 0.0 or job.queries >= budget.max_queries:
                break
            candidates = self._candidates(job, index, budget, salt)  # type: ignore[arg-type]
            expansions = [
                (s, changes, built)
                for s in beams
                if len(s.changes) < max_changes
                for family, text in candidates
                for changes in [tuple(sorted((*s.changes, (index, text, family))))]
                for built in [job.build(changes)]
                if built is not None
            ][: max(budget.max_queries - job.queries, 0)]
            if not expansions:
                continue
            scored = yield from job.score([built for _, _, built in expansions])
            pool = beams + [
                job.state(changes, answer, built, parent)
                for (parent, changes, built), answer in zip(expansions, scored, strict=True)
            ]
            pool.sort(key=_State.rank)
            beams = pool[: budget.beam_width]
        best = beams[0]
        adversarial = job.build(best.changes)
        assert adversarial is not None  # every state was built
        return SpanAttackResult(
            original=job.example,
            adversarial=adversarial,
            clean_answer=clean.answer,
            answer=best.answer,
            clean_f1=clean.f1,
            f1=best.f1,
            exact_match=best.exact_match,
            steps=best.steps,
            queries=job.queries,
            perturbed_units=len(best.changes),
            total_units=len(job.units),
            edits=job.edits(best.changes),
            families=tuple(family for _, _, family in best.changes),
        )


def _as_edit(unit: Unit) -> Edit:
    return Edit(unit.span.start, unit.span.end, "")


def _distance(unit: Unit, lo: int, hi: int) -> int:
    """Characters between a unit and the answer [lo, hi) (0 inside it)."""
    return max(lo - unit.span.end, unit.span.start - hi, 0)
