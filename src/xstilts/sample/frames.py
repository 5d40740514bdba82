"""Random frames and the edits that tasks apply to them.

Labels in every task come from how a second frame relates to a first one: meaning-preserving
edits (synonyms, moving the location phrase) versus meaning-changing ones (another subject,
another number, added or dropped modifiers). Keeping the edits here lets all task builders
share one vocabulary of operations and one seeded random stream each.
"""

from __future__ import annotations

import random
from dataclasses import replace

from .grammar import Frame
from .vocabulary import ADJECTIVES, CONCEPTS, GENERAL_VERBS, NAMES, PLACES, is_name, nouns_of

THING_KINDS = ("object", "animal", "food")


def has_synonym(f: Frame) -> bool:
    """Whether the frame's verb or object noun has a second, synonymous form."""
    return bool(f.verb and len(CONCEPTS[f.verb].forms) > 1) or has_noun_synonym(f)


def has_noun_synonym(f: Frame) -> bool:
    return f.obj is not None and not is_name(f.obj) and len(CONCEPTS[f.obj].forms) > 1


class FrameSampler:
    """Draws frames and frame edits from one seeded ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def name(self, *exclude: str | None) -> str:
        return self.rng.choice([n for n in NAMES if n not in exclude])

    def place(self, *exclude: str | None) -> str:
        return self.rng.choice([p for p in PLACES if p not in exclude])

    def frame(
        self,
        obj_kind: str | None = None,
        *,
        p_adj: float = 0.4,
        p_num: float = 0.25,
        p_loc: float = 0.5,
        p_neg: float = 0.0,
        p_coord: float = 0.0,
    ) -> Frame:
        """A random transitive frame; ``obj_kind`` is a noun class, "place" or "person"."""
        rng = self.rng
        kind = obj_kind or rng.choice(THING_KINDS)
        verb = self.verb_for(kind)
        subject = self.name()
        subject2 = self.name(subject) if rng.random() < p_coord else None
        obj, obj_alt, adj, num = self.name(subject, subject2), 0, None, None
        if kind != "person":
            obj = rng.choice(nouns_of(kind))
            obj_alt = rng.randrange(len(CONCEPTS[obj].forms))
        if kind in THING_KINDS:
            adj = rng.choice(ADJECTIVES) if rng.random() < p_adj else None
            num = rng.randint(2, 9) if rng.random() < p_num else None
        loc = self.place(obj) if rng.random() < p_loc else None
        return Frame(
            subject,
            verb,
            obj,
            adj,
            num,
            loc,
            rng.random() < p_neg,
            subject2,
            verb_alt=rng.randrange(len(CONCEPTS[verb].forms)),
            obj_alt=obj_alt,
            loc_front=loc is not None and rng.random() < 0.15,
        )

    def verb_for(self, kind: str) -> str:
        """A general verb that accepts objects of class ``kind``."""
        return self.rng.choice([v for v in GENERAL_VERBS if kind in CONCEPTS[v].kinds])

    def synonym(self, f: Frame) -> Frame | None:
        """Same meaning with a synonymous verb or noun form; None if neither has one."""
        options = []
        if f.verb and len(CONCEPTS[f.verb].forms) > 1:
            options.append(replace(f, verb_alt=1 - f.verb_alt))
        if has_noun_synonym(f):
            options.append(replace(f, obj_alt=1 - f.obj_alt))
        return self.rng.choice(options) if options else None

    def maybe_synonym(self, f: Frame, p: float = 0.5) -> Frame:
        alt = self.synonym(f) if self.rng.random() < p else None
        return alt or f

    def modifiers(self, f: Frame) -> list[str]:
        return [slot for slot in ("adj", "loc") if getattr(f, slot) is not None]

    def addable(self, f: Frame) -> list[str]:
        can_adj = f.obj is not None and not is_name(f.obj) and CONCEPTS[f.obj].pos == "noun"
        return [s for s in ("adj", "loc") if getattr(f, s) is None and (s == "loc" or can_adj)]

    def drop(self, f: Frame) -> Frame | None:
        """Drop a non-empty subset of the adjective / location modifiers."""
        present = self.modifiers(f)
        if not present:
            return None
        dropped = self.rng.sample(present, k=self.rng.randint(1, len(present)))
        return replace(
            f, **{slot: None for slot in dropped}, loc_front=f.loc_front and "loc" not in dropped
        )

    def add(self, f: Frame) -> Frame | None:
        """Add one modifier the frame lacks (an adjective or a location)."""
        missing = self.addable(f)
        if not missing:
            return None
        if self.rng.choice(missing) == "adj":
            return replace(f, adj=self.rng.choice(ADJECTIVES))
        return replace(f, loc=self.place(f.obj))

    def other_number(self, f: Frame) -> Frame:
        return replace(f, num=self.rng.choice([n for n in range(2, 10) if n != f.num]))

    def change_slot(self, f: Frame, slots: list[str]) -> Frame | None:
        """Change the value of one of ``slots`` (subject, obj, loc, num, adj)."""
        slots = [s for s in slots if s == "subject" or getattr(f, s) is not None]
        if not slots:
            return None
        slot = self.rng.choice(slots)
        if slot == "subject":
            return replace(f, subject=self.name(f.subject, f.subject2, f.obj))
        if slot == "loc":
            return replace(f, loc=self.place(f.loc, f.obj))
        if slot == "num":
            return self.other_number(f)
        if slot == "adj":
            return replace(f, adj=self.rng.choice([a for a in ADJECTIVES if a != f.adj]))
        if is_name(f.obj):
            return replace(f, obj=self.name(f.subject, f.subject2, f.obj))
        kind = CONCEPTS[f.obj].kinds[0]
        choices = [n for n in nouns_of(kind) if n != f.obj and n != f.loc]
        return replace(f, obj=self.rng.choice(choices), obj_alt=0)
