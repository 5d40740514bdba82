"""One builder per task shape (QQP, MNLI, RACE, XNLI, PAWS-X, XCOPA).

Builders produce language-neutral rows whose text fields are utterances; rows become hub-shaped
JSON only when rendered in a language. Labels are cycled so every split is balanced, then rows
are shuffled; a shared ``seen`` set keeps dev and test items out of training. Each label is
decided by the relation between frames, never by one sentence alone: negation, added words and
reorderings occur under every label.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from .frames import THING_KINDS, FrameSampler, has_synonym
from .grammar import Frame, Utterance, render
from .vocabulary import CONCEPTS, COPA_PAIRS, NAMES, PLACES, Vocabulary, is_name, nouns_of

Row = dict[str, object]
_QUESTION_SLOTS = {
    "yn": ["subject", "obj", "loc", "num", "adj"],
    "tq": ["subject", "obj", "loc", "num", "adj"],
    "what": ["subject", "loc"],
    "who": ["obj", "loc", "num", "adj"],
    "where": ["subject", "obj", "num", "adj"],
}


@dataclass(frozen=True)
class TaskShape:
    """A task shape: hub field names in order, balanced label keys and a row maker.

    Id fields are recognised by name: ``idx`` counts from 0, ``id`` from 1 (as PAWS-X does) and
    ``example_id`` is a string. When a row has two sentence fields they must differ.
    """

    fields: str
    labels: tuple[object, ...]
    make: Callable[[FrameSampler, object], Row | None]

    def pair(self) -> list[str]:
        return [f for f in self.fields.split() if f in _PAIR_FIELDS]


_PAIR_FIELDS = {"question1", "question2", "premise", "hypothesis", "sentence1", "sentence2"}


def _surface_ops(f: Frame, kind: str) -> list[str]:
    """Meaning-preserving changes available for a question of ``kind`` about ``f``."""
    ops = (["syn"] if has_synonym(f) else []) + (["rephrase"] if kind in ("yn", "tq") else [])
    return ops + (["front"] if kind in ("yn", "tq") and f.loc else [])


def _restyle(s: FrameSampler, f: Frame, kind: str, n: int) -> tuple[Frame, str] | None:
    """Apply ``n`` meaning-preserving surface changes to a question."""
    ops = _surface_ops(f, kind)
    if not ops:
        return None
    for op in s.rng.sample(ops, k=min(n, len(ops))):
        if op == "syn":
            f = s.synonym(f)
        elif op == "front":
            f = replace(f, loc_front=not f.loc_front)
        else:
            kind = "tq" if kind == "yn" else "yn"
    return f, kind


def make_qqp(s: FrameSampler, label: object) -> Row | None:
    rng = s.rng
    f = s.frame(rng.choice((*THING_KINDS, "person", "place")), p_loc=0.6)
    kinds = ["yn", "yn", "tq", "who"] + ["where"] * bool(f.loc) + ["what"] * (not is_name(f.obj))
    kind = rng.choice(kinds)
    if not _surface_ops(f, kind):
        return None  # keep question1 equally distributed under both labels
    if label == 1:
        styled = _restyle(s, f, kind, rng.choice((1, 1, 2)))
    else:
        g = s.change_slot(f, _QUESTION_SLOTS[kind])
        styled = (g, kind) if g is None or rng.random() < 0.5 else _restyle(s, g, kind, 1)
    if styled is None or styled[0] is None:
        return None
    return {
        "question1": Utterance(kind, f),
        "question2": Utterance(styled[1], styled[0]),
        "label": label,
    }


def _nli(s: FrameSampler, label: object, p_neg: float, p_num: float, p_coord: float) -> Row | None:
    """Premise/hypothesis whose label follows from negation scope and modifier monotonicity."""
    rng = s.rng
    kind = rng.choice((*THING_KINDS, *THING_KINDS, "person", "place"))
    p = s.frame(kind, p_adj=0.5, p_num=p_num, p_loc=0.5, p_neg=p_neg, p_coord=p_coord)
    if label == 0:  # positive: fewer modifiers; negated: more modifiers; or a synonym
        h = s.add(p) if p.neg else s.drop(p)
        h = s.synonym(p) if h is None or rng.random() < 0.2 else h
    elif label == 1:  # a new participant, or the monotonicity direction reversed
        if rng.random() < 0.4:
            other = s.name(p.subject, p.subject2, p.obj)
            h = replace(p, subject=other, subject2=None, neg=p.neg != (rng.random() < 0.5))
        else:
            h = s.drop(p) if p.neg else s.add(p)
    elif not p.neg and p.num is not None and rng.random() < 0.8:
        h = s.other_number(p)
        h = (s.drop(h) or h) if rng.random() < 0.5 else h
    else:
        h = replace(p, neg=not p.neg)
        if rng.random() < 0.5:
            h = (s.add(h) if p.neg else s.drop(h)) or h
    if h is None:
        return None
    if p.subject2 and label != 1 and rng.random() < 0.5:
        h = replace(h, subject=rng.choice((p.subject, p.subject2)), subject2=None)
    h = s.maybe_synonym(h, 0.3)
    h = replace(h, loc_front=h.loc is not None and rng.random() < 0.15)
    return {"premise": Utterance("stmt", p), "hypothesis": Utterance("stmt", h), "label": label}


def make_mnli(s: FrameSampler, label: object) -> Row | None:
    return _nli(s, label, p_neg=0.2, p_num=0.5, p_coord=0.0)


def make_xnli(s: FrameSampler, label: object) -> Row | None:
    return _nli(s, label, p_neg=0.2, p_num=0.6, p_coord=0.2)


def make_race(s: FrameSampler, label: object) -> Row | None:
    """A 3-4 sentence article and a question about one sentence. One distractor comes from
    another sentence of the article (answering it needs the question) and two from outside the
    article (ruled out by reading it), so items range from easy to hard as in RACE."""
    rng = s.rng
    n = rng.choice((3, 4))
    things = rng.sample([t for kind in THING_KINDS for t in nouns_of(kind)], n + 2)
    frames = []
    for name, obj, place in zip(
        rng.sample(NAMES, n + 2), things, rng.sample(PLACES, n + 2), strict=True
    ):
        verb = s.verb_for(CONCEPTS[obj].kinds[0])
        adj = rng.choice((None, None, *("red", "big", "small", "old", "new", "blue")))
        num = rng.choice((None, None, 2, 3, 4, 5))
        alt = rng.randrange(len(CONCEPTS[verb].forms))
        frames.append(Frame(name, verb, obj, adj, num, place, verb_alt=alt))
    article, outside = frames[:n], frames[n:]
    target = rng.randrange(n)
    kind = rng.choice(("what", "who", "where"))
    answer_kind = {"what": "np", "who": "name", "where": "locp"}[kind]
    others = [rng.choice([f for i, f in enumerate(article) if i != target]), *outside]
    rng.shuffle(others)
    options = [*others[:label], article[target], *others[label:]]
    return {
        "article": tuple(Utterance("stmt", f) for f in article),
        "question": Utterance(kind, article[target]),
        "options": [Utterance(answer_kind, f) for f in options],
        "answer": "ABCD"[label],
    }


def make_pawsx(s: FrameSampler, label: object) -> Row | None:
    rng = s.rng
    shape = rng.choice(("person", "coord", "place"))
    f = s.frame(
        "place" if shape == "place" else "person",
        p_loc=0.4 if shape == "coord" else 1.0,
        p_neg=0.15,
        p_coord=1.0 if shape == "coord" else 0.0,
    )
    para = ["front"] * bool(f.loc) + ["coord"] * bool(f.subject2) + ["syn"] * has_synonym(f)
    if label == 0:
        swaps = ["obj_loc"] if shape == "place" else ["names"] + ["coord_swap"] * bool(f.subject2)
        g = _swap(f, rng.choice(swaps))
        ops = rng.sample(para, k=min(len(para), rng.choice((0, 1))))
    else:
        g, ops = f, rng.sample(para, k=min(len(para), rng.choice((1, 1, 2))))
    for op in ops:
        g = s.synonym(g) if op == "syn" else _swap(g, op)
    return {"sentence1": Utterance("stmt", f), "sentence2": Utterance("stmt", g), "label": label}


def _swap(f: Frame, op: str) -> Frame:
    if op == "front":
        return replace(f, loc_front=not f.loc_front)
    if op == "coord":
        return replace(f, subject=f.subject2, subject2=f.subject)
    if op == "names":
        return replace(f, subject=f.obj, obj=f.subject)
    if op == "coord_swap":
        return replace(f, subject2=f.obj, obj=f.subject2)
    return replace(f, obj=f.loc, loc=f.obj)  # obj_loc


def make_xcopa(s: FrameSampler, key: object) -> Row | None:
    label, question = key
    rng = s.rng
    right, wrong = rng.sample(range(len(COPA_PAIRS)), 2)
    name = s.name()
    loc = s.place() if rng.random() < 0.3 else None

    def effect(k: int) -> Frame:
        _, verb, obj = COPA_PAIRS[k]
        return Frame(name, verb, obj, loc=loc)

    def cause(k: int) -> Frame:
        return Frame(name, state=COPA_PAIRS[k][0])

    premise, make = (cause(right), effect) if question == "effect" else (effect(right), cause)
    choices = [make(right), make(wrong)][:: 1 if label == 0 else -1]
    return {
        "premise": Utterance("stmt", premise),
        "choice1": Utterance("stmt", choices[0]),
        "choice2": Utterance("stmt", choices[1]),
        "question": question,
        "label": label,
        "changed": False,
    }


TASKS: dict[str, TaskShape] = {
    "qqp": TaskShape("question1 question2 label idx", (0, 1), make_qqp),
    "mnli": TaskShape("premise hypothesis label idx", (0, 1, 2), make_mnli),
    "race": TaskShape("example_id article question options answer", (0, 1, 2, 3), make_race),
    "xnli": TaskShape("premise hypothesis label", (0, 1, 2), make_xnli),
    "pawsx": TaskShape("id sentence1 sentence2 label", (0, 1), make_pawsx),
    "xcopa": TaskShape(
        "premise choice1 choice2 question idx label changed",
        ((0, "effect"), (1, "effect"), (0, "cause"), (1, "cause")),
        make_xcopa,
    ),
}


def build_split(
    spec: TaskShape, size: int, purpose: str, seen: set[str], english: Vocabulary
) -> list[Row]:
    """``size`` balanced, shuffled rows never seen before (``seen`` is updated)."""
    rng = random.Random(purpose)
    sampler = FrameSampler(rng)
    rows: list[Row] = []
    for _ in range(1000 + 200 * size):
        if len(rows) == size:
            break
        row = spec.make(sampler, spec.labels[len(rows) % len(spec.labels)])
        if row is None:
            continue
        text = render_row(row, english)
        key = repr(sorted(text.items()))
        pair = spec.pair()
        if key in seen or (len(pair) == 2 and text[pair[0]] == text[pair[1]]):
            continue
        seen.add(key)
        rows.append(row)
    if len(rows) < size:
        raise RuntimeError(f"could not build {size} distinct rows for {purpose}")
    rng.shuffle(rows)
    return rows


def render_row(row: Row, lexicon: Vocabulary) -> dict[str, object]:
    """Render every utterance of a row (tuples become one text, lists stay lists)."""
    sep = " " if lexicon.language.spaced else ""
    out: dict[str, object] = {}
    for field, value in row.items():
        if isinstance(value, Utterance):
            out[field] = render(value, lexicon)
        elif isinstance(value, tuple):
            out[field] = sep.join(render(u, lexicon) for u in value)
        elif isinstance(value, list):
            out[field] = [render(u, lexicon) for u in value]
        else:
            out[field] = value
    return out


def hub_row(spec: TaskShape, row: dict[str, object], index: int, split: str) -> dict[str, object]:
    """Order fields like the hub dataset and fill in the id field."""
    ids = {"idx": index, "id": index + 1, "example_id": f"world-{split}-{index:05d}"}
    return {field: row[field] if field in row else ids[field] for field in spec.fields.split()}
