"""The black-box adversarial search: rank words by importance, then change them one at a time
with the candidates the perturbation families propose, greedily (beam width 1) or with a beam,
until the prediction flips or a budget runs out.

Units: the words of each field, by ICU. A family that switches pieces of several words whole
(`PhraseFamily`: code-switching, whose lexicon entries may be several words, or one Chinese word
that ICU splits into characters) offers candidates for its pieces only, found in the running
text as its own perturbation finds them; each piece is one unit with the words it overlaps, so
no word of an entry is switched on its own and the edit budget counts the entry once.

Ranking follows TextAttack's "greedy with word importance ranking": a word's importance is how
much the probability of the originally predicted class falls when the word is deleted.

Batching: each example's search is a generator that yields the inputs it needs scored and
receives their probabilities. `Attacker.attack_many` runs the searches of many examples in
lockstep and scores everything they ask for in one call of the shared prediction path, so a
forward pass carries hundreds of candidates instead of one.

Queries and cache: `queries` counts the distinct inputs a search asked about (what a black-box
attacker pays for), whatever was cached. The attacker keeps a bounded prediction cache across
searches and calls, so a repeated input (the clean input of several attacks, a demo user
attacking the same sentence again with a larger budget) costs no forward pass. Its eviction is
least recently used, and one call may ask about more inputs than it holds.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, zip_longest
from typing import Protocol, runtime_checkable

import numpy as np
from transformers import PreTrainedTokenizerBase

from xstilts.attack.budget import AttackBudget
from xstilts.attack.scorer import BatchPredictor, PredictFn
from xstilts.examples import ChoiceExample, Example
from xstilts.modeling.model import MultiTaskModel
from xstilts.perturb.base import Edit, Perturbation, apply_edits
from xstilts.perturb.examples import example_fields, with_fields
from xstilts.perturb.rng import rng_for
from xstilts.perturb.segment import Span, words

Progress = Callable[[float], None]
Change = tuple[int, str, str]  # (unit index, replacement, family)
Search = Generator[list[Example], np.ndarray, "AttackResult"]


@runtime_checkable
class PhraseFamily(Protocol):
    """A family that edits pieces of several words whole (code-switching's lexicon entries):
    the attack changes only those pieces, each as one unit, never a word inside one."""

    def phrases(self, text: str, language: str) -> list[Span]: ...


@dataclass(frozen=True)
class Unit:
    """One word of one field, or the words a phrase joins: what the attack may change.

    `phrases` are the pieces a `PhraseFamily` may switch inside the unit (field offsets)."""

    field: str
    span: Span
    phrases: tuple[Span, ...] = ()


@dataclass(frozen=True)
class AttackResult:
    """The outcome of one example's attack.

    `target` is the class the model predicted on the clean input; `flipped` says whether the
    adversarial input is predicted as anything else. `edits` are per field, as code-point
    offsets into the clean field text. `budget_units` is the unit count the budget's fraction
    was taken of (`total_units`, or the English example's on a parallel test set).
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
    budget_units: int | None = None

    @property
    def perturbed_ratio(self) -> float:
        return self.perturbed_units / self.total_units if self.total_units else 0.0


@dataclass(frozen=True)
class _State:
    changes: tuple[Change, ...]  # sorted by unit index
    prob: float  # probability of the target class
    probs: np.ndarray


@dataclass
class _Job:
    """One example's search: its inputs, units and the answers it has received."""

    example: Example
    language: str
    fields: dict[str, str]
    units: list[Unit]
    answers: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)
    queries: int = 0
    dedup: bool = True
    reference_units: int | None = None  # the budget's base when not the example's own units

    @property
    def budget_units(self) -> int:
        """The unit count the word budget is a fraction of."""
        return len(self.units) if self.reference_units is None else self.reference_units

    def build(self, changes: Sequence[Change]) -> Example:
        edits = _edits(self.units, changes)
        return with_fields(
            self.example, {f: apply_edits(self.fields[f], e) for f, e in edits.items()}
        )

    def score(self, inputs: list[Example]) -> Generator[list[Example], np.ndarray, np.ndarray]:
        """Probabilities of `inputs`; yields those this search has not asked about before
        (every input, when `dedup` is off: the naive baseline)."""
        if not self.dedup:
            self.queries += len(inputs)
            return (yield inputs)
        keys = [input_key(e) for e in inputs]
        missing = {k: e for k, e in zip(keys, inputs, strict=True) if k not in self.answers}
        if missing:
            probs = yield list(missing.values())
            self.answers.update(zip(missing, probs, strict=True))
            self.queries += len(missing)
        return np.stack([self.answers[k] for k in keys])


def input_key(example: Example) -> tuple[str, ...]:
    """Everything the model sees of `example`: its kind, its perturbable fields and, for multiple
    choice, the question, which the attack leaves alone but the model reads (XCOPA's
    "cause"/"effect" changes the answer for the same premise and choices)."""
    key = (type(example).__name__, *example_fields(example).values())
    if isinstance(example, ChoiceExample):
        key += (example.question,)
    return key


class PredictionCache:
    """Probabilities of recently scored inputs, at most `size` of them (least recently used
    dropped first).

    A call's answer is assembled from its hits and its fresh predictions before anything is
    evicted, so a call may ask about more inputs than the cache holds."""

    def __init__(self, predict_fn: PredictFn, size: int = 100_000) -> None:
        self.predict_fn, self.size = predict_fn, size
        self._store: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()
        self.forward_inputs = 0  # inputs actually sent to the model

    def __len__(self) -> int:
        return len(self._store)

    def __contains__(self, example: Example) -> bool:
        return input_key(example) in self._store

    def __call__(self, examples: list[Example]) -> np.ndarray:
        keys = [input_key(e) for e in examples]
        found: dict[tuple[str, ...], np.ndarray] = {}
        missing: dict[tuple[str, ...], Example] = {}
        for key, example in zip(keys, examples, strict=True):
            if key in found or key in missing:
                continue
            if key in self._store:
                self._store.move_to_end(key)
                found[key] = self._store[key]
            else:
                missing[key] = example
        if missing:
            probs = self.predict_fn(list(missing.values()))
            self.forward_inputs += len(missing)
            fresh = dict(zip(missing, probs, strict=True))
            found.update(fresh)
            self._store.update(fresh)
            while len(self._store) > self.size:
                self._store.popitem(last=False)
        return np.stack([found[k] for k in keys])


class Attacker:
    """Attacks one model with candidates from a set of perturbation families.

    `predict_fn` maps examples to probabilities; by default the shared prediction path on
    `model`. `cache=False` scores every candidate every time it comes up and keeps no cache
    (the naive baseline of the benchmark); `cache_size` bounds the prediction cache otherwise.
    """

    def __init__(
        self,
        model: MultiTaskModel | None,
        tokenizer: PreTrainedTokenizerBase | None,
        head: str,
        families: dict[str, Perturbation],
        max_length: int = 128,
        batch_size: int = 64,
        predict_fn: PredictFn | None = None,
        cache: bool = True,
        cache_size: int = 100_000,
    ) -> None:
        if not families:
            raise ValueError("an attack needs at least one perturbation family")
        if predict_fn is None and model is None:
            raise ValueError("an attack needs a model or a predict_fn")
        self.families, self.dedup = families, cache
        predict_fn = predict_fn or BatchPredictor(model, tokenizer, head, max_length, batch_size)
        self.predict_fn = PredictionCache(predict_fn, cache_size) if cache else predict_fn

    def attack(
        self,
        example: Example,
        language: str,
        budget: AttackBudget,
        rng: random.Random,
        progress: Progress | None = None,
    ) -> AttackResult:
        """One example's attack; `progress` gets the fraction of ranked words tried."""
        search = self._search(self._job(example, language), budget, rng, progress)
        return drive([search], self.predict_fn)[0]

    def attack_many(
        self,
        jobs: Sequence[tuple[Example, str, random.Random]],
        budget: AttackBudget,
        progress: Progress | None = None,
        reference_units: Sequence[int | None] | None = None,
    ) -> list[AttackResult]:
        """(example, language, rng) jobs searched in lockstep with shared batches; the result of
        each is the one `attack` gives alone (up to floating-point batching effects).
        `reference_units[i]`, when given and not None, is the unit count job i's word budget is
        a fraction of (`AttackBudget.max_changes`)."""
        references = list(reference_units or [None] * len(jobs))
        searches = [
            self._search(self._job(e, lang, reference), budget, rng)
            for (e, lang, rng), reference in zip(jobs, references, strict=True)
        ]
        return drive(searches, self.predict_fn, progress)

    def count_units(self, example: Example, language: str) -> int:
        """The units this attack would count in `example` (a budget's base)."""
        return len(self._job(example, language).units)

    def _job(self, example: Example, language: str, reference: int | None = None) -> _Job:
        fields = example_fields(example)
        units = [u for f, text in fields.items() for u in self._units(f, text, language)]
        return _Job(example, language, fields, units, dedup=self.dedup, reference_units=reference)

    def _units(self, name: str, text: str, language: str) -> list[Unit]:
        """The units of one field: its words, those under one phrase of a phrase family joined."""
        phrases = [
            p
            for family in self.families.values()
            if isinstance(family, PhraseFamily)
            for p in family.phrases(text, language)
        ]
        return merge_units(name, text, words(text, language), phrases)

    def _search(
        self,
        job: _Job,
        budget: AttackBudget,
        rng: random.Random,
        progress: Progress | None = None,
    ) -> Search:
        clean = (yield from job.score([job.example]))[0]
        target = int(clean.argmax())
        beams = [_State((), float(clean[target]), clean)]
        if not job.units:
            return _result(job, beams[0], target, clean)
        order = yield from self._rank(job, target, budget)
        salt = rng.getrandbits(64)
        max_changes = budget.max_changes(len(job.units), job.budget_units)
        for step, index in enumerate(order):
            candidates = self._candidates(job, index, budget, salt)
            expansions = [
                (*s.changes, (index, text, family))
                for s in beams
                if len(s.changes) < max_changes
                for family, text in candidates
            ][: max(budget.max_queries - job.queries, 0)]
            if expansions:
                probs = yield from job.score([job.build(c) for c in expansions])
                pool = beams + [
                    _State(tuple(sorted(c)), float(p[target]), p)
                    for c, p in zip(expansions, probs, strict=True)
                ]
                pool.sort(key=lambda s: (not _flipped(s, target), s.prob, len(s.changes)))
                beams = pool[: budget.beam_width]
            if progress is not None:
                progress((step + 1) / len(order))
            if _flipped(beams[0], target) or job.queries >= budget.max_queries:
                break
        return _result(job, beams[0], target, clean)

    def _rank(
        self, job: _Job, target: int, budget: AttackBudget
    ) -> Generator[list[Example], np.ndarray, list[int]]:
        """Unit indices, most important first (deletion leave-one-out, within the budget)."""
        if budget.max_queries - job.queries < len(job.units):  # too few queries: text order
            return list(range(len(job.units)))
        deleted = [job.build(((i, "", ""),)) for i in range(len(job.units))]
        probs = (yield from job.score(deleted))[:, target]
        return [int(i) for i in np.argsort(probs, kind="stable")]

    def _candidates(
        self, job: _Job, index: int, budget: AttackBudget, salt: int
    ) -> list[tuple[str, str]]:
        unit, seen = job.units[index], {}
        for name, family in self.families.items():
            rng = rng_for(salt, unit.field, str(index), name)
            k = budget.candidates_per_unit
            if isinstance(family, PhraseFamily):
                variants = _phrase_variants(family, unit, job.language, rng, k)
            else:
                variants = family.word_variants(unit.span.text, job.language, rng, k)
            for text in variants:
                if text != unit.span.text:
                    seen.setdefault(text, name)
        return [(family, text) for text, family in seen.items()]


def merge_units(name: str, text: str, spans: Sequence[Span], phrases: Sequence[Span]) -> list[Unit]:
    """Units of one field: each word alone, except that a phrase and every word it overlaps
    become one unit (overlapping phrases chain), so a phrase is one unit of the edit budget."""
    pieces = sorted(
        chain(((s, False) for s in spans), ((p, True) for p in phrases)),
        key=lambda piece: (piece[0].start, piece[0].end),
    )
    groups: list[list[tuple[Span, bool]]] = []
    end = 0
    for span, is_phrase in pieces:
        if groups and span.start < end:
            groups[-1].append((span, is_phrase))
        else:
            groups.append([(span, is_phrase)])
        end = max(end, span.end)
    return [_unit(name, text, group) for group in groups]


def _unit(name: str, text: str, group: list[tuple[Span, bool]]) -> Unit:
    start, end = min(s.start for s, _ in group), max(s.end for s, _ in group)
    phrases = tuple(sorted({s for s, is_phrase in group if is_phrase}, key=lambda s: s.start))
    return Unit(name, Span(start, end, text[start:end]), phrases)


def _phrase_variants(
    family: Perturbation, unit: Unit, language: str, rng: random.Random, k: int
) -> list[str]:
    """Up to k texts of `unit` with one of its phrases switched, its phrases taken in turn."""
    per_phrase = [
        list(_switch_phrase(family, unit, phrase, language, rng, k)) for phrase in unit.phrases
    ]
    found = [t for row in zip_longest(*per_phrase) for t in row if t is not None]
    return list(dict.fromkeys(found))[:k]


def _switch_phrase(
    family: Perturbation, unit: Unit, phrase: Span, language: str, rng: random.Random, k: int
) -> Iterator[str]:
    before = unit.span.text[: phrase.start - unit.span.start]
    after = unit.span.text[phrase.end - unit.span.start :]
    for variant in family.word_variants(phrase.text, language, rng, k):
        yield before + variant + after


def drive(
    searches: list[Search], predict_fn: PredictFn, progress: Progress | None = None
) -> list[AttackResult]:
    """Run searches in lockstep: gather every pending request, score them in one call, answer."""
    results: list[AttackResult | None] = [None] * len(searches)
    pending: dict[int, list[Example]] = {}
    for i, search in enumerate(searches):
        _advance(i, search, None, pending, results)
    while pending:
        order = list(pending)
        flat = [e for i in order for e in pending[i]]
        probs = predict_fn(flat)
        start, answers = 0, {}
        for i in order:
            answers[i] = probs[start : start + len(pending[i])]
            start += len(pending[i])
        pending.clear()
        for i, answer in answers.items():
            _advance(i, searches[i], answer, pending, results)
        if progress is not None:
            progress(sum(r is not None for r in results) / len(results))
    return [r for r in results if r is not None]


def _advance(
    index: int,
    search: Search,
    answer: np.ndarray | None,
    pending: dict[int, list[Example]],
    results: list[AttackResult | None],
) -> None:
    try:
        pending[index] = search.send(answer)  # type: ignore[arg-type]
    except StopIteration as done:
        results[index] = done.value


def _flipped(state: _State, target: int) -> bool:
    return int(state.probs.argmax()) != target


def _edits(units: Sequence[Unit], changes: Sequence[Change]) -> dict[str, tuple[Edit, ...]]:
    by_field: dict[str, list[Edit]] = {}
    for index, text, _ in changes:
        unit = units[index]
        by_field.setdefault(unit.field, []).append(Edit(unit.span.start, unit.span.end, text))
    return {f: tuple(sorted(e, key=lambda x: x.start)) for f, e in by_field.items()}


def _result(job: _Job, state: _State, target: int, clean: np.ndarray) -> AttackResult:
    return AttackResult(
        original=job.example,
        adversarial=job.build(state.changes),
        target=target,
        flipped=_flipped(state, target),
        queries=job.queries,
        perturbed_units=len(state.changes),
        total_units=len(job.units),
        edits=_edits(job.units, state.changes),
        families=tuple(family for _, _, family in state.changes),
        clean_probs=clean,
        adversarial_probs=state.probs,
        budget_units=job.budget_units,
    )
