"""Perturbing span-QA examples, with the gold answers carried through the edits.

The rule (documented in REPRODUCE.md and tested): the question and the whole context are
perturbed like any text (each with its own seeded generator and budget), answers included, and
each gold answer becomes whatever its characters became: the perturbed answer text is the new
gold, at the offset the edits moved it to. A typo inside a name makes the typo'd name the answer:
it is what the model was shown, and span F1 should not punish returning it.

Carrying an answer through the edits (offsets are code points of the clean context):
- an edit wholly before an answer shifts it; one wholly after leaves it alone;
- an edit wholly inside an answer rewrites that part of it (a character typo, a deleted or
  repeated word, a romanized or code-switched phrase);
- an insertion at an answer's edge belongs to the answer, as a family's insertion at a word's
  edge belongs to that word; whitespace an edit leaves at either end of an answer is trimmed;
- an edit that cuts an answer's edge (changes characters on both sides of it: a word swap of the
  answer's word with its neighbour, a lexicon phrase reaching into the answer) is not made, since
  the new answer would have no edge to speak of;
- an answer may not become empty (a deleted one-word answer): the edits inside it are dropped,
  last first, until it is not.
Edits not made are left out of the edits and of the edited-unit count (as in
`xstilts.perturb.tagged`). They are the only place the answers are treated apart from the rest
of the context, and they are few: the context around an answer is edited as often as the answer
itself, so a perturbation no longer says where the answer is. (An earlier rule left the answers
untouched, and the one clean stretch of a noisy context pointed the model at them.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from xstilts.examples import SpanExample
from xstilts.perturb.base import Edit, Perturbation, Perturbed, apply_edits, units_changed
from xstilts.perturb.rng import rng_for

QUESTION, CONTEXT = "question", "context"


@dataclass(frozen=True)
class CarriedAnswers:
    """The gold answers after a set of context edits, and which of the edits were kept."""

    answers: tuple[str, ...]
    starts: tuple[int, ...]
    edits: tuple[Edit, ...]
    dropped: tuple[Edit, ...]


def perturb_span_example(
    example: SpanExample, family: Perturbation, strength: float, seed: int
) -> tuple[SpanExample, dict[str, Perturbed]]:
    """`family` at `strength` on the question and on the context, the answers carried along."""
    question = family.apply(
        example.question, example.lang, strength, rng_for(seed, example.id, family.name, QUESTION)
    )
    context, carried = perturb_context(example, family, strength, seed)
    perturbed = dataclasses.replace(
        example,
        question=question.text,
        context=context.text,
        answers=carried.answers,
        starts=carried.starts,
    )
    return perturbed, {QUESTION: question, CONTEXT: context}


def perturb_context(
    example: SpanExample, family: Perturbation, strength: float, seed: int
) -> tuple[Perturbed, CarriedAnswers]:
    """The context perturbed as one text, less the edits the answers refuse (see above)."""
    text = example.context
    result = family.apply(
        text, example.lang, strength, rng_for(seed, example.id, family.name, CONTEXT)
    )
    carried = carry_answers(text, example.answers, example.starts, result.edits)
    if not carried.dropped:
        return result, carried
    units = family.units(text, example.lang)
    edited = result.n_edited - sum(units_changed(units, e) for e in carried.dropped)
    kept = Perturbed(
        apply_edits(text, carried.edits), carried.edits, family.name, result.n_units, edited
    )
    return kept, carried


def carry_answers(
    context: str, answers: Sequence[str], starts: Sequence[int], edits: Sequence[Edit]
) -> CarriedAnswers:
    """Each answer's text and offset after `edits` (non-overlapping, offsets into `context`),
    with the edits that cut an answer's edge or empty an answer left out."""
    bounds = [(s, s + len(a)) for s, a in zip(starts, answers, strict=True)]
    kept = [e for e in edits if not any(cuts_edge(e, lo, hi) for lo, hi in bounds)]
    while True:
        placed = [
            _place(context, kept, answer, lo, hi)
            for answer, (lo, hi) in zip(answers, bounds, strict=True)
        ]
        emptied = next((b for b, p in zip(bounds, placed, strict=True) if p is None), None)
        if emptied is None:
            break
        inside = [i for i, e in enumerate(kept) if _within(e, *emptied)]
        del kept[max(inside, key=lambda i: (kept[i].start, kept[i].end))]
    final = [p for p in placed if p is not None]  # all of them, once the loop ends
    return CarriedAnswers(
        tuple(text for text, _ in final),
        tuple(start for _, start in final),
        tuple(kept),
        tuple(e for e in edits if e not in kept),
    )


def cuts_edge(edit: Edit, lo: int, hi: int) -> bool:
    """Whether `edit` changes characters on both sides of the answer [lo, hi)'s start or end."""
    return edit.start < lo < edit.end or edit.start < hi < edit.end


def _within(edit: Edit, lo: int, hi: int) -> bool:
    """Inside the answer [lo, hi), an insertion at its edge included."""
    return lo <= edit.start and edit.end <= hi


def _place(
    context: str, edits: Sequence[Edit], answer: str, lo: int, hi: int
) -> tuple[str, int] | None:
    """(text, start) of one answer after `edits`, none of which cuts its edges; None when the
    edits leave it empty. Insertions at its edges are inside it."""
    inside = [e for e in edits if _within(e, lo, hi)]
    start = lo + sum(_growth(e) for e in edits if e.end <= lo and e.start < lo)
    if not inside:
        return answer, start
    text = apply_edits(
        context[lo:hi], [Edit(e.start - lo, e.end - lo, e.replacement) for e in inside]
    )
    stripped = text.strip()
    if not stripped:
        return None
    return stripped, start + len(text) - len(text.lstrip())


def _growth(edit: Edit) -> int:
    return len(edit.replacement) - (edit.end - edit.start)
