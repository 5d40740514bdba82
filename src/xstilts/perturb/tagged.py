"""Perturbing tagged sentences (POS, NER) so that every word still has exactly one gold tag.

A `TaggedExample` is perturbed as its `text` (the words joined by single spaces), but over units
taken from its own words, never from a re-segmentation of that text (the dataset's words are the
ones the tags belong to; a Chinese sentence's words are given, not found by a segmenter):
- a word-level family's units are the example's words that hold a letter or a digit, the words
  plain text counts too (punctuation tokens are not deleted, swapped or repeated);
- a grapheme-level family's units are the letter graphemes inside the words.
The family proposes and selects edits as on plain text (`Perturbation.apply_to_units`), and its
edits, code-point offsets into the joined text, are carried onto the words by these rules.

Character-level families (unit "grapheme") never create or remove a word boundary:
- an edit stays inside one word (an insertion at a word's edge, an invisible character included,
  belongs to that word) and the word keeps its tag, whatever the edit writes;
- a word may not become empty: when its edits would leave nothing (both letters of a two-letter
  word deleted), its edits are dropped from the right until it does not; an edit reaching over
  two words is dropped. Dropped edits are left out of the edits and of the edited-unit count.

Word-level families (unit "word") carry the tags with the words:
- word_delete: the word goes, and its tag with it.
- word_swap: the words trade places and take their tags along. In a BIO scheme a swap inside one
  entity (every word from the first to the second in the same name) keeps the tags where they
  were, so the name stays one entity: "New York" -> "York New" is B-LOC I-LOC.
- word_repeat: the copy is a word of its own right after the original (also where an unspaced
  script writes it without a space) with the original's tag; in a BIO scheme the copy of an
  entity word continues the entity (I-X), so a stuttered name stays one mention.
- romanize, and any edit inside one word: the word is rewritten and keeps its tag, even if the
  new text holds a space ("học sinh" -> "hoc sinh" stays one word).
- codeswitch: a lexicon entry over k whole words becomes the m words of its translation (split
  at whitespace), tagged by `phrase_tags`: target word j is aligned with source word
  min(j, k - 1) and the last target word with the last source word (phrases tend to be
  head-final: "the car" -> one word takes NOUN); a target word aligned with the same source word
  as the one before it takes that tag's continuation. In BIO an entry inside one entity stays
  one entity (the first target word takes the first source tag, B-X or I-X, the others I-X),
  and an all-O entry stays O. An entry matched inside one word (an unspaced word the dataset
  segments more coarsely than the lexicon) rewrites that word, which keeps its tag.
- spacing: a removed space merges two words into one with the first word's tag, except that in
  BIO an O word followed by an entity word gives B-X of that entity. An inserted space splits a
  word: the first piece keeps the tag, the others take its continuation. Whitespace at a cut is
  trimmed from the pieces. Words the dataset gives apart are already spaced in the joined text,
  so in Chinese or Thai the family only splits words.
- an edit of another shape (from a family added later): inside one word it rewrites the word;
  deleting whole words drops them; over several words it replaces them by the words of its new
  text under the code-switching rule.

A tag's continuation is the tag itself in POS; in BIO it is I-X for B-X and I-X, and O for O.

BIO repair: after the rules, an I-X that no longer follows B-X or I-X (first word, after O or
after another type) becomes B-X. A word left untouched next to the same neighbour as before is
never repaired, so gold that was ill-formed in the dataset is kept as it is.

The scheme is read from the task's tag names: names with a B- or I- prefix make it BIO.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import regex

from xstilts.examples import TaggedExample
from xstilts.perturb.base import Edit, Perturbation, Perturbed, units_changed
from xstilts.perturb.rng import rng_for
from xstilts.perturb.segment import Span, grapheme_spans, is_letter

FIELD = "text"  # the field name the edits and the per-field generator use
# Families whose replacement is a phrase of the target language, split into words at spaces.
PHRASE_FAMILIES = frozenset({"codeswitch"})
_WORDLIKE = regex.compile(r"[\p{L}\p{N}]")
_BIO = regex.compile(r"([BI])-(.+)")


class TagScheme:
    """The task's tag names, and what the rules need of them: whether they are BIO, and the
    B-/I- tags of an entity type."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self._index = {name: i for i, name in enumerate(self.names)}
        self.bio = any(_BIO.fullmatch(name) for name in self.names)

    def entity(self, tag: int) -> tuple[str, str] | None:
        """("B" or "I", type) of a BIO entity tag; None for O and for every non-BIO tag."""
        match = _BIO.fullmatch(self.names[tag]) if self.bio else None
        return (match[1], match[2]) if match else None

    def continuation(self, tag: int) -> int:
        """The tag of a word that continues `tag`'s word: I-X for an entity, else the tag."""
        part = self.entity(tag)
        return tag if part is None else self._index.get(f"I-{part[1]}", tag)

    def begin(self, tag: int) -> int:
        """B-X for an entity tag, else the tag."""
        part = self.entity(tag)
        return tag if part is None else self._index.get(f"B-{part[1]}", tag)

    def follows(self, previous: int | None, tag: int) -> bool:
        """Whether `tag` may come after `previous` (None: first word): an I-X only after X."""
        part = self.entity(tag)
        if part is None or part[0] == "B":
            return True
        before = None if previous is None else self.entity(previous)
        return before is not None and before[1] == part[1]

    def merged(self, first: int, second: int) -> int:
        """The tag of two words run together: the first's, or B-X when an O word absorbs X."""
        if self.entity(first) is None and self.entity(second) is not None:
            return self.begin(second)
        return first

    def one_entity(self, tags: Sequence[int]) -> bool:
        """Whether `tags` are all inside one entity: B-X or I-X, then only I-X."""
        first = self.entity(tags[0]) if tags else None
        return first is not None and all(self.entity(t) == ("I", first[1]) for t in tags[1:])


@dataclass(frozen=True)
class Word:
    """A word of the perturbed sentence; `source` is the clean word's index when the word is
    that word untouched (the BIO repair leaves such a word alone next to its old neighbour)."""

    text: str
    tag: int
    source: int | None = None


@dataclass(frozen=True)
class Carried:
    """The perturbed words and tags, and the edits that made them (those the rules kept)."""

    words: tuple[str, ...]
    tags: tuple[int, ...]
    edits: tuple[Edit, ...]
    dropped: tuple[Edit, ...] = ()


def perturb_tagged(
    example: TaggedExample,
    family: Perturbation,
    strength: float,
    seed: int,
    tag_names: Sequence[str],
) -> tuple[TaggedExample, Perturbed]:
    """`example` perturbed by `family` at `strength`, seeded by (seed, id, family, "text").

    The `Perturbed` is what the manifest needs: the kept edits as offsets into the clean
    example's `text`, the units counted and edited; its `text` is the perturbed example's. A
    family that does not support the language leaves the example unchanged."""
    scheme = TagScheme(tag_names)
    _check_tags(example, scheme)
    text, spans = example.text, word_spans(example.words)
    units = tagged_units(family, spans)
    if not family.supports(example.lang):
        return example, Perturbed(text, (), family.name, len(units) if strength else 0)
    rng = rng_for(seed, example.id, family.name, FIELD)
    result = family.apply_to_units(text, example.lang, units, strength, rng)
    carried = carry_tags(
        example.words,
        example.tags,
        result.edits,
        scheme,
        character_level=family.unit == "grapheme",
        phrases=family.name in PHRASE_FAMILIES,
    )
    edited = result.n_edited - sum(units_changed(units, edit) for edit in carried.dropped)
    perturbed = dataclasses.replace(example, words=carried.words, tags=carried.tags)
    return perturbed, Perturbed(perturbed.text, carried.edits, family.name, result.n_units, edited)


def word_spans(words: Sequence[str]) -> list[Span]:
    """Each word's span in the words joined by single spaces."""
    spans, start = [], 0
    for word in words:
        spans.append(Span(start, start + len(word), word))
        start += len(word) + 1
    return spans


def tagged_units(family: Perturbation, spans: Sequence[Span]) -> list[Span]:
    """The family's units over the given words: the words holding a letter or a digit, or the
    letter graphemes inside the words."""
    if family.unit == "word":
        return [span for span in spans if _WORDLIKE.search(span.text)]
    return [
        Span(span.start + g.start, span.start + g.end, g.text)
        for span in spans
        for g in grapheme_spans(span.text)
        if is_letter(g.text)
    ]


def carry_tags(
    words: Sequence[str],
    tags: Sequence[int],
    edits: Sequence[Edit],
    scheme: TagScheme,
    *,
    character_level: bool,
    phrases: bool = False,
) -> Carried:
    """Apply `edits` (offsets into the words joined by single spaces) to the words, carrying
    the tags by the module's rules; `phrases` splits a whole-word replacement into words."""
    spans, text = word_spans(words), " ".join(words)
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    ops: list[_Op] = []
    for edit in ordered:
        op = (
            _character_op(edit, spans)
            if character_level
            else _word_op(edit, spans, text, tags, scheme, phrases)
        )
        if op is not None:
            ops.append(op)
    out, lost = _assemble(spans, tags, ops, scheme)
    out = _repair(out, scheme)
    applied = {op.edit for op in ops} - lost
    return Carried(
        tuple(w.text for w in out),
        tuple(w.tag for w in out),
        tuple(e for e in ordered if e in applied),
        tuple(e for e in ordered if e not in applied),
    )


def phrase_tags(source: Sequence[int], m: int, scheme: TagScheme) -> list[int]:
    """Tags of the m words replacing words tagged `source` (see the module docstring)."""
    if m == 0 or not source:
        return []
    if scheme.bio and scheme.one_entity(source):
        return [source[0]] + [scheme.continuation(source[0])] * (m - 1)
    k = len(source)
    aligned = [min(j, k - 1) for j in range(m)]
    aligned[-1] = k - 1
    return [
        scheme.continuation(source[p]) if j and aligned[j - 1] == p else source[p]
        for j, p in enumerate(aligned)
    ]


@dataclass(frozen=True)
class _Op:
    """What one edit does to the words: `rewrite` or `split` word `first`, `join` it to the
    next, `copy` new words after it, or replace words first..last by `words` (`block`)."""

    kind: str
    edit: Edit
    first: int
    last: int = -1
    words: tuple[tuple[str, int], ...] = ()


def _character_op(edit: Edit, spans: Sequence[Span]) -> _Op | None:
    inside = _within(spans, edit)
    return None if inside is None else _Op("rewrite", edit, inside)


def _word_op(
    edit: Edit,
    spans: Sequence[Span],
    text: str,
    tags: Sequence[int],
    scheme: TagScheme,
    phrases: bool,
) -> _Op | None:
    """Read a word-level edit by its shape (see the module docstring), or None if it is none
    of them (it is dropped)."""
    if edit.start == edit.end and not edit.replacement:
        return None
    covered = _covered(spans, text, edit)
    if not edit.replacement and covered is not None:
        return _Op("block", edit, covered[0], covered[1])
    gap = None if edit.replacement else _gap(spans, text, edit)
    if gap is not None:
        return _Op("join", edit, gap)
    inside = _within(spans, edit)
    if edit.start == edit.end and inside is not None:
        op = _insertion_op(edit, spans[inside], inside, tags[inside], scheme)
        if op is not None:
            return op
    exact = _exact(spans, edit)
    if exact is not None:
        first, last = exact
        swapped = _swapped(edit, spans, text, tags, scheme, first, last)
        if swapped is not None:
            return swapped
        if phrases:
            return _phrase(edit, edit.replacement, tags, scheme, first, last)
    if inside is not None:
        return _Op("rewrite", edit, inside)
    return _overlapping_op(edit, spans, tags, scheme)


def _insertion_op(edit: Edit, word: Span, index: int, tag: int, scheme: TagScheme) -> _Op | None:
    """A space inside a word splits it; the word's text again right after it is a copy."""
    if edit.replacement.isspace() and word.start < edit.start < word.end:
        return _Op("split", edit, index)
    if edit.start == word.end and edit.replacement.lstrip() == word.text:
        return _Op("copy", edit, index, words=((word.text, scheme.continuation(tag)),))
    return None


def _swapped(
    edit: Edit,
    spans: Sequence[Span],
    text: str,
    tags: Sequence[int],
    scheme: TagScheme,
    first: int,
    last: int,
) -> _Op | None:
    """Words first and last trading places, the text between them kept, or None."""
    between = text[spans[first].end : spans[last].start]
    if last == first or edit.replacement != spans[last].text + between + spans[first].text:
        return None
    order = [last, *range(first + 1, last), first]
    moved = [tags[k] for k in order]
    if scheme.one_entity(tags[first : last + 1]):
        moved = list(tags[first : last + 1])
    words = tuple((spans[k].text, tag) for k, tag in zip(order, moved, strict=True))
    return _Op("block", edit, first, last, words)


def _phrase(
    edit: Edit, new_text: str, tags: Sequence[int], scheme: TagScheme, first: int, last: int
) -> _Op:
    """Words first..last replaced by the words of `new_text`, tagged by `phrase_tags`."""
    new_words = new_text.split()
    new_tags = phrase_tags(tags[first : last + 1], len(new_words), scheme)
    return _Op("block", edit, first, last, tuple(zip(new_words, new_tags, strict=True)))


def _overlapping_op(
    edit: Edit, spans: Sequence[Span], tags: Sequence[int], scheme: TagScheme
) -> _Op | None:
    """An edit over parts of several words: the words it reaches become those of the new text."""
    reached = [i for i, s in enumerate(spans) if s.start < edit.end and edit.start < s.end]
    if not reached:
        return None
    first, last = reached[0], reached[-1]
    head = spans[first].text[: max(0, edit.start - spans[first].start)]
    tail = spans[last].text[max(0, edit.end - spans[last].start) :]
    return _phrase(edit, head + edit.replacement + tail, tags, scheme, first, last)


def _within(spans: Sequence[Span], edit: Edit) -> int | None:
    """The word whose closed span holds the edit (its edges included), if one does."""
    for index, span in enumerate(spans):
        if span.start <= edit.start and edit.end <= span.end:
            return index
    return None


def _exact(spans: Sequence[Span], edit: Edit) -> tuple[int, int] | None:
    """(first, last) when the edit covers exactly the words first..last."""
    starts = {s.start: i for i, s in enumerate(spans)}
    ends = {s.end: i for i, s in enumerate(spans)}
    first, last = starts.get(edit.start), ends.get(edit.end)
    if first is None or last is None or last < first or edit.start == edit.end:
        return None
    return first, last


def _covered(spans: Sequence[Span], text: str, edit: Edit) -> tuple[int, int] | None:
    """(first, last) when the edit covers whole words first..last and at most the whitespace
    after them (a deleted word and its space)."""
    first = next((i for i, s in enumerate(spans) if s.start == edit.start), None)
    if first is None:
        return None
    last = max((i for i, s in enumerate(spans) if s.end <= edit.end), default=-1)
    if last < first or text[spans[last].end : edit.end].strip():
        return None
    return first, last


def _gap(spans: Sequence[Span], text: str, edit: Edit) -> int | None:
    """i when the edit covers exactly the whitespace between words i and i + 1."""
    for index in range(len(spans) - 1):
        if edit.start == spans[index].end and edit.end == spans[index + 1].start:
            return index if not text[edit.start : edit.end].strip() else None
    return None


def _assemble(
    spans: Sequence[Span], tags: Sequence[int], ops: Sequence[_Op], scheme: TagScheme
) -> tuple[list[Word], set[Edit]]:
    """The perturbed words, and the edits dropped because they left a word empty."""
    blocks = {op.first: op for op in ops if op.kind == "block"}
    joins = {op.first for op in ops if op.kind == "join"}
    inner: dict[int, list[_Op]] = {}
    copies: dict[int, list[_Op]] = {}
    for op in ops:
        if op.kind in ("rewrite", "split"):
            inner.setdefault(op.first, []).append(op)
        elif op.kind == "copy":
            copies.setdefault(op.first, []).append(op)
    out: list[Word] = []
    lost: set[Edit] = set()
    index, join_next = 0, False
    while index < len(spans):
        if index in blocks:
            block = blocks[index]
            new = [Word(text, tag) for text, tag in block.words]
            for inside in range(block.first, block.last + 1):  # no word edit inside a block
                lost.update(op.edit for op in (*inner.get(inside, ()), *copies.get(inside, ())))
            index = block.last + 1
        else:
            new, dropped = _word(spans[index], tags[index], index, inner.get(index, []), scheme)
            lost.update(dropped)
            new += [Word(t, g) for op in copies.get(index, []) for t, g in op.words]
            index += 1
        if join_next and out and new:
            out[-1] = Word(out[-1].text + new[0].text, scheme.merged(out[-1].tag, new[0].tag))
            new = new[1:]
        out += new
        join_next = index - 1 in joins
    return out, lost


def _word(
    span: Span, tag: int, index: int, ops: Sequence[_Op], scheme: TagScheme
) -> tuple[list[Word], list[Edit]]:
    """One clean word after its own edits: rewritten, or split into pieces. Edits that would
    leave it empty are dropped from the right."""
    if not ops:
        return [Word(span.text, tag, index)], []
    kept = sorted(ops, key=lambda op: (op.edit.start, op.edit.end))
    while kept and not _pieces(span, kept):
        kept.pop()
    dropped = [op.edit for op in ops if op not in kept]
    if not kept:
        return [Word(span.text, tag, index)], dropped
    pieces = _pieces(span, kept)
    tagged = [Word(pieces[0], tag)]
    tagged += [Word(piece, scheme.continuation(tag)) for piece in pieces[1:]]
    return tagged, dropped


def _pieces(span: Span, ops: Sequence[_Op]) -> list[str]:
    """The word's text after `ops`, cut at each split (pieces trimmed, empty ones gone); []
    when nothing of the word is left."""
    pieces, current, cursor = [], [], span.start
    for op in ops:
        current.append(span.text[cursor - span.start : op.edit.start - span.start])
        if op.kind == "split":
            pieces.append("".join(current))
            current = []
        else:
            current.append(op.edit.replacement)
        cursor = op.edit.end
    current.append(span.text[cursor - span.start :])
    pieces.append("".join(current))
    if len(pieces) == 1:
        return pieces if pieces[0].strip() else []
    return [piece.strip() for piece in pieces if piece.strip()]


def _repair(words: list[Word], scheme: TagScheme) -> list[Word]:
    """BIO: an I-X that no longer follows X becomes B-X, unless the word is untouched and next
    to its old neighbour (see the module docstring)."""
    if not scheme.bio:
        return words
    fixed: list[Word] = []
    for word in words:
        previous = fixed[-1] if fixed else None
        if not _same_place(previous, word) and not scheme.follows(
            previous.tag if previous else None, word.tag
        ):
            word = dataclasses.replace(word, tag=scheme.begin(word.tag))
        fixed.append(word)
    return fixed


def _same_place(previous: Word | None, word: Word) -> bool:
    """Whether `word` is a clean word untouched and after the same word as before."""
    if word.source is None:
        return False
    if previous is None:
        return word.source == 0
    return previous.source == word.source - 1


def _check_tags(example: TaggedExample, scheme: TagScheme) -> None:
    for position, tag in enumerate(example.tags):
        if not 0 <= tag < len(scheme.names):
            raise ValueError(
                f"example {example.id}: tags[{position}] = {tag} is not one of the "
                f"{len(scheme.names)} tag names"
            )
