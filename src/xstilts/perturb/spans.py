"""Perturbing span-QA examples without losing the gold answers.

The rule (documented in REPRODUCE.md and tested): the question is perturbed like any text; the
context is perturbed everywhere *but* the gold answers. The characters from the first gold
answer's start to the last one's end (several gold answers of one question overlap or sit
close) are left as they are, and the text before and the text after them are perturbed as two
texts of their own, each with its own seeded generator and its own budget of ceil(strength x
units). So an answer is never cut, merged with a neighbour or moved into another word, and the
perturbed context still contains every gold answer verbatim. Each answer's new offset is its old
one shifted by what the edits before it added or removed, read off the recorded edits (code-point
offsets into the clean context).

Why not edit the answers too: a perturbed answer has no single right reading (is a typo in a
name still the gold answer?), and span F1 would then punish the model for returning the
perturbed text it was shown. Edits outside the answer still change what the model must read
around it, which is the robustness in question; the attack follows the same rule.
"""

from __future__ import annotations

import dataclasses

from xstilts.examples import SpanExample
from xstilts.perturb.base import Edit, Perturbation, Perturbed
from xstilts.perturb.rng import rng_for

QUESTION, CONTEXT = "question", "context"


def protected_span(example: SpanExample) -> tuple[int, int]:
    """The characters no context edit may touch: first gold start to last gold end (an example
    without gold answers, one typed into the demo, protects nothing)."""
    if not example.answers:
        return (len(example.context), len(example.context))
    ends = [s + len(a) for s, a in zip(example.starts, example.answers, strict=True)]
    return (min(example.starts), max(ends))


def perturb_span_example(
    example: SpanExample, family: Perturbation, strength: float, seed: int
) -> tuple[SpanExample, dict[str, Perturbed]]:
    """`family` at `strength` on the question and on the context around the gold answers."""
    question = family.apply(
        example.question, example.lang, strength, rng_for(seed, example.id, family.name, QUESTION)
    )
    context = perturb_around(example, family, strength, seed)
    perturbed = dataclasses.replace(
        example,
        question=question.text,
        context=context.text,
        starts=shifted_starts(example.starts, context.edits),
    )
    return perturbed, {QUESTION: question, CONTEXT: context}


def perturb_around(
    example: SpanExample, family: Perturbation, strength: float, seed: int
) -> Perturbed:
    """The context perturbed before and after its protected span, as one `Perturbed` whose
    edits are offsets into the whole clean context."""
    lo, hi = protected_span(example)
    text = example.context
    before = family.apply(
        text[:lo], example.lang, strength, rng_for(seed, example.id, family.name, "context<")
    )
    after = family.apply(
        text[hi:], example.lang, strength, rng_for(seed, example.id, family.name, "context>")
    )
    moved = tuple(Edit(e.start + hi, e.end + hi, e.replacement) for e in after.edits)
    return Perturbed(
        before.text + text[lo:hi] + after.text,
        before.edits + moved,
        family.name,
        before.n_units + after.n_units,
        before.n_edited + after.n_edited,
    )


def shifted_starts(starts: tuple[int, ...], edits: tuple[Edit, ...]) -> tuple[int, ...]:
    """Each offset moved by the length change of the edits that end at or before it (edits
    never overlap a protected answer, so each lies wholly before or after it)."""
    return tuple(
        start + sum(len(e.replacement) - (e.end - e.start) for e in edits if e.end <= start)
        for start in starts
    )
