"""Pretraining text: MLM corpora (partly code-switched) and en-xx translation pairs.

Every sentence shape the tasks use (statements, negations, numbers, questions, states and
cause/effect sentences) occurs in every language's corpus, so that after MLM pretraining the
encoder knows each language's syntax; only the task labels are English-only. Each language's
corpus uses its own random stream, so corpora are not translations of each other; a share of
their sentences is code-switched (see ``codeswitch``). Task test sets are never code-switched.
"""

from __future__ import annotations

import random

from .borrowing import SWITCH_SENTENCES, code_switched
from .frames import THING_KINDS, FrameSampler
from .grammar import Frame, Utterance, render
from .vocabulary import COPA_PAIRS, STATES, Vocabulary, is_name

_SHAPES = (
    ("stmt", 40),
    ("yn", 8),
    ("tq", 4),
    ("what", 4),
    ("who", 4),
    ("where", 4),
    ("state", 8),
    ("so", 14),
    ("because", 14),
)


def random_utterance(s: FrameSampler) -> Utterance:
    """One sentence of any shape the tasks use, with the world's cause/effect knowledge."""
    rng = s.rng
    kind = rng.choices([k for k, _ in _SHAPES], weights=[w for _, w in _SHAPES])[0]
    if kind == "state":
        return Utterance("stmt", Frame(s.name(), state=rng.choice(STATES)))
    if kind in ("so", "because"):
        state, verb, obj = rng.choice(COPA_PAIRS)
        name = s.name()
        effect = Frame(name, verb, obj, loc=s.place() if rng.random() < 0.3 else None)
        return Utterance(kind, Frame(name, state=state), effect)
    obj_kind = rng.choice((*THING_KINDS, *THING_KINDS, "person", "place"))
    f = s.frame(
        obj_kind,
        p_adj=0.4,
        p_num=0.3,
        p_loc=0.5,
        p_coord=0.1,
        p_neg=0.35 if kind == "stmt" else 0.0,
    )
    if kind == "what" and is_name(f.obj):
        kind = "who"
    if kind == "where" and f.loc is None:
        kind = "yn"
    return Utterance(kind, f)


def monolingual(lexicon: Vocabulary, donors: list[Vocabulary], seed: int, size: int) -> list[str]:
    """``size`` sentences in the lexicon's language, some code-switched with a donor."""
    rng = random.Random(f"{seed}:corpus:{lexicon.language.code}")
    sampler = FrameSampler(rng)
    lines = []
    for _ in range(size):
        utt = random_utterance(sampler)
        mixed = donors and rng.random() < SWITCH_SENTENCES
        lex = code_switched(lexicon, rng.choice(donors), rng) if mixed else lexicon
        lines.append(render(utt, lex))
    return lines


def parallel(english: Vocabulary, lexicon: Vocabulary, seed: int, size: int) -> list[str]:
    """``size`` "english<TAB>translation" lines: one utterance rendered in both languages."""
    sampler = FrameSampler(random.Random(f"{seed}:parallel:{lexicon.language.code}"))
    lines = []
    for _ in range(size):
        utt = random_utterance(sampler)
        lines.append(f"{render(utt, english)}\t{render(utt, lexicon)}")
    return lines
