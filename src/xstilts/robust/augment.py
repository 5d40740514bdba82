"""RS-DA's training copies: every English training example replaced by perturbed copies.

As Robust-XLT's `perturb.py` makes them: a text is split at spaces; each word with neighbours
becomes a uniform draw from itself and its neighbours (so it may stay), every other word stays;
each example gives `copies` such copies and is not kept itself. One difference: the prepared
texts here are not tokenized (XNLI and PAWS-X on the hub write "Delphos." where Robust-XLT's
files write "Delphos ."), so punctuation around a word is set aside before the lookup and put
back after it. Each copy's draws are seeded by (seed, example id, copy), so every condition
trained with RS-DA at one seed sees the same copies, in any order and on any machine.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterable, Iterator, Mapping

import regex

from xstilts.examples import Example, PairExample, TextExample
from xstilts.perturb.rng import rng_for

_WORD = regex.compile(r"^(\P{L}*)(.*?)(\P{L}*)$", regex.DOTALL)  # leading, core, trailing

Neighbours = Mapping[str, tuple[str, ...]]


def smooth_text(text: str, neighbours: Neighbours, rng: random.Random) -> str:
    """`text` with each word that has neighbours replaced by a draw from it and them."""
    pieces = []
    for word in text.split(" "):
        lead, core, trail = _WORD.match(word).groups()
        options = neighbours.get(core)
        if options:
            core = rng.choice((core, *options))
        pieces.append(f"{lead}{core}{trail}")
    return " ".join(pieces)


def copies_of(example: Example, neighbours: Neighbours, copies: int, seed: int) -> list[Example]:
    """`copies` perturbed copies of `example`, ids `<id>~rsda<k>`, labels kept."""
    fields = _text_fields(example)
    out = []
    for k in range(copies):
        rng = rng_for(seed, example.id, "rsda", str(k))
        texts = {name: smooth_text(getattr(example, name), neighbours, rng) for name in fields}
        out.append(dataclasses.replace(example, id=f"{example.id}~rsda{k}", **texts))
    return out


def augment(
    examples: Iterable[Example], neighbours: Neighbours, copies: int, seed: int
) -> Iterator[Example]:
    """The training set RS-DA trains on: each example's copies, in the examples' order."""
    for example in examples:
        yield from copies_of(example, neighbours, copies, seed)


def changed_share(originals: Iterable[Example], augmented: Iterable[Example]) -> float:
    """The share of copies that differ from their example (Robust-XLT logs the like)."""
    by_id = {e.id: e for e in originals}
    total = changed = 0
    for copy in augmented:
        source = by_id[copy.id.rsplit("~rsda", 1)[0]]
        total += 1
        changed += any(getattr(copy, f) != getattr(source, f) for f in _text_fields(source))
    return changed / total if total else 0.0


def _text_fields(example: Example) -> tuple[str, ...]:
    if isinstance(example, PairExample):
        return ("text_a", "text_b")
    if isinstance(example, TextExample):
        return ("text",)
    raise TypeError(f"RS-DA perturbs sentences and sentence pairs, not {type(example).__name__}")
