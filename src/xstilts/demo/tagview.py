"""The tagging view: every model's tag for each word of one sentence, clean and perturbed.

The user types a sentence; its words are what whitespace separates, as a tagging dataset gives
its words (a Chinese or Thai user puts the spaces in). The sentence is perturbed by the
evaluation's own function for tagged sentences, `xstilts.perturb.tagged.perturb_tagged`: units
are the given words or the letters inside them, and every perturbed word stays tied to clean
words by that module's rules.

The user gives no gold tags, so the sentence is perturbed with placeholder tags (all 0). The
rules never let a tag decide a word: the perturbed words, the kept edits and therefore the
alignment are the same whatever tags are carried (a test checks it for every family). The tags
the page compares come from two more carries over the same kept edits (`carry_tags`):
- the alignment: carrying each clean word's *index* as its tag says, for each perturbed word,
  which clean word it comes from (both, for two words the spacing family runs together);
- each model's expectation: carrying the model's own clean prediction by the task's rules (BIO
  or POS) gives the tag the perturbed word has if the perturbation did not disturb the model,
  the way evaluation carries gold tags. Mostly that is the clean word's tag; a repeated entity
  word expects I-X. A perturbed word whose prediction differs from it is *changed*.

Everything here is plain data; `tagrender` draws it. The caller holds the checkpoint's lock
around `perturb_sentence` (families built with a tokenizer call it) and `tag_with`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xstilts.demo.catalogue import LoadedModel
from xstilts.demo.perturbview import PerturbedExample
from xstilts.demo.render import FieldDiff, field_diffs
from xstilts.evaluate.tagging import TagPredictor
from xstilts.examples import TaggedExample
from xstilts.perturb import Edit, Perturbation
from xstilts.perturb.tagged import FIELD, PHRASE_FAMILIES, TagScheme, carry_tags, perturb_tagged


class WordIndices(TagScheme):
    """Tags that are clean word indices, so carrying them names each perturbed word's source.

    Not BIO: a carried index is never rewritten (its continuation is itself, no repair). Two
    words run together (`merged`, the spacing family) get a new index that stands for both."""

    def __init__(self, n_words: int) -> None:
        super().__init__([f"word {i}" for i in range(n_words)])
        self.groups: list[tuple[int, ...]] = [(i,) for i in range(n_words)]

    def merged(self, first: int, second: int) -> int:
        self.groups.append(tuple(sorted({*self.groups[first], *self.groups[second]})))
        return len(self.groups) - 1


@dataclass(frozen=True)
class Sentence:
    """The sentence clean and perturbed, and where each perturbed word comes from: the same
    for every model."""

    view: PerturbedExample  # clean and perturbed TaggedExample, the kept edits, supported
    unit: str  # the family's unit: "grapheme" or "word" (how its edits are carried)
    sources: tuple[tuple[int, ...], ...]  # per perturbed word: clean word indices (0-based)

    @property
    def clean(self) -> TaggedExample:
        return self.view.clean  # type: ignore[return-value]

    @property
    def perturbed(self) -> TaggedExample:
        return self.view.perturbed  # type: ignore[return-value]

    @property
    def edits(self) -> tuple[Edit, ...]:
        return self.view.fields[FIELD].edits

    def carry(self, tags: Sequence[int], scheme: TagScheme) -> tuple[int, ...]:
        """`tags` of the clean words carried onto the perturbed words by the evaluation's rules."""
        carried = carry_tags(
            self.clean.words,
            tags,
            self.edits,
            scheme,
            character_level=self.unit == "grapheme",
            phrases=self.view.family in PHRASE_FAMILIES,
        )
        return carried.tags

    def counterparts(self) -> list[list[int]]:
        """Per clean word, the perturbed words that come from it (none: it is gone)."""
        found: list[list[int]] = [[] for _ in self.clean.words]
        for j, sources in enumerate(self.sources):
            for i in sources:
                found[i].append(j)
        return found

    def source_text(self, j: int) -> str:
        """The clean text perturbed word j comes from (two words: joined by a space)."""
        return " ".join(self.clean.words[i] for i in self.sources[j])

    def perturbed_changes(self) -> list[str]:
        """Per perturbed word: "same", "edited" (its text differs from its clean word's),
        "split" (a piece of a clean word cut by a space), "added" (a further word from a clean
        word: a repeat, a longer phrase), "merged" (two clean words run together) or "moved"
        (out of the clean order)."""
        starts = [s[0] for s in self.sources]
        n = len(self.clean.words)
        before = [max(starts[:j], default=-1) for j in range(len(starts))]
        after = [min(starts[j + 1 :], default=n) for j in range(len(starts))]
        split = self._split_words()
        seen: set[int] = set()
        changes = []
        for j, (word, sources) in enumerate(zip(self.perturbed.words, self.sources, strict=True)):
            if len(sources) > 1:
                change = "merged"
            elif sources[0] in split:
                change = "split"
            elif sources[0] in seen:
                change = "added"
            elif word != self.source_text(j):
                change = "edited"
            elif before[j] > starts[j] or after[j] < starts[j]:
                change = "moved"
            else:
                change = "same"
            seen.update(sources)
            changes.append(change)
        return changes

    def _split_words(self) -> set[int]:
        """Clean words cut into several perturbed words that, spaces aside, spell the word."""
        split = set()
        for i, js in enumerate(self.counterparts()):
            if len(js) < 2 or any(self.sources[j] != (i,) for j in js):
                continue
            pieces = "".join(self.perturbed.words[j] for j in js)
            if "".join(pieces.split()) == "".join(self.clean.words[i].split()):
                split.add(i)
        return split

    def clean_changes(self) -> list[str]:
        """Per clean word: "gone" (no perturbed word comes from it), else the change of the
        first perturbed word that does."""
        changes = self.perturbed_changes()
        return [changes[js[0]] if js else "gone" for js in self.counterparts()]


def perturb_sentence(
    example: TaggedExample, family: Perturbation, strength: float, seed: int, names: Sequence[str]
) -> Sentence:
    """One seeded perturbation of the sentence (placeholder tags), and its alignment."""
    supported = family.supports(example.lang)
    placeholder = dataclasses.replace(example, tags=(0,) * len(example.words))
    perturbed, record = perturb_tagged(placeholder, family, strength, seed, names)
    view = PerturbedExample(placeholder, perturbed, {FIELD: record}, family.name, supported)
    sentence = Sentence(view, family.unit, ())
    scheme = WordIndices(len(example.words))
    indices = sentence.carry(range(len(example.words)), scheme)
    if len(indices) != len(perturbed.words):
        raise RuntimeError("carrying word indices gave other words than the perturbation")
    return dataclasses.replace(sentence, sources=tuple(scheme.groups[k] for k in indices))


@dataclass(frozen=True)
class ModelTags:
    """One model's tags on the sentence, clean and perturbed, by tag name."""

    label: str
    key: str
    clean: tuple[str, ...]
    clean_confidence: tuple[float, ...]
    perturbed: tuple[str, ...]
    perturbed_confidence: tuple[float, ...]
    expected: tuple[str, ...]  # per perturbed word: the clean prediction carried onto it
    tokenizer: str  # whether its tokenizer sees the perturbation ("effective", ...)

    @property
    def changed(self) -> tuple[bool, ...]:
        """Per perturbed word: the prediction differs from the carried clean prediction."""
        return tuple(p != e for p, e in zip(self.perturbed, self.expected, strict=True))

    def clean_changed(self, sentence: Sentence) -> list[bool]:
        """Per clean word: a perturbed word that comes from it changed tag."""
        changed = self.changed
        return [any(changed[j] for j in js) for js in sentence.counterparts()]


def tag_names(model: LoadedModel, width: int) -> tuple[str, ...]:
    """The head's tag names, or numbered tags when its metadata names none (or too few)."""
    names = tuple(model.labels)
    return names if len(names) == width else tuple(f"tag {i}" for i in range(width))


def tag_with(model: LoadedModel, sentence: Sentence, max_length: int, tokenizer: str) -> ModelTags:
    """`model`'s tags on the clean and the perturbed sentence (the caller holds its lock)."""
    predictor = TagPredictor(model.model, model.tokenizer, model.head, max_length, batch_size=2)
    clean, perturbed = predictor([sentence.clean, sentence.perturbed])
    names = tag_names(model, clean.shape[-1])
    clean_ids = clean.argmax(axis=-1).tolist()
    perturbed_ids = perturbed.argmax(axis=-1).tolist()
    expected = sentence.carry(clean_ids, TagScheme(names))
    return ModelTags(
        label=model.label,
        key=model.key,
        clean=tuple(names[t] for t in clean_ids),
        clean_confidence=tuple(float(p) for p in clean.max(axis=-1)),
        perturbed=tuple(names[t] for t in perturbed_ids),
        perturbed_confidence=tuple(float(p) for p in perturbed.max(axis=-1)),
        expected=tuple(names[t] for t in expected),
        tokenizer=tokenizer,
    )


@dataclass(frozen=True)
class TagResult:
    """What a tagging request returns: the sentence, every model's tags, a message."""

    task: str
    language: str
    tag_names: tuple[str, ...]
    sentence: Sentence
    models: list[ModelTags]
    message: str = ""

    @property
    def diff(self) -> FieldDiff:
        """The sentence's edits on its text, as the other views show a field."""
        return field_diffs(self.sentence.clean, {FIELD: self.sentence.edits})[0]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for API clients: word indices are 0-based."""
        sentence = self.sentence
        return {
            "message": self.message,
            "language": self.language,
            "task": self.task,
            "tags": list(self.tag_names),
            "family": sentence.view.family,
            "fields": [self.diff.as_dict()],
            "clean_words": list(sentence.clean.words),
            "perturbed_words": list(sentence.perturbed.words),
            "alignment": [list(s) for s in sentence.sources],
            "changes": sentence.perturbed_changes(),
            "models": [_model_dict(m, sentence) for m in self.models],
        }


def _model_dict(model: ModelTags, sentence: Sentence) -> dict[str, Any]:
    clean = [
        {"word": w, "tag": t, "confidence": round(c, 4)}
        for w, t, c in zip(sentence.clean.words, model.clean, model.clean_confidence, strict=True)
    ]
    perturbed = [
        {
            "word": w,
            "tag": t,
            "confidence": round(c, 4),
            "from": list(s),
            "expected": e,
            "changed": t != e,
        }
        for w, t, c, s, e in zip(
            sentence.perturbed.words,
            model.perturbed,
            model.perturbed_confidence,
            sentence.sources,
            model.expected,
            strict=True,
        )
    ]
    return {
        "model": model.label,
        "key": model.key,
        "tokenizer": model.tokenizer,
        "changed": sum(model.changed),
        "clean": clean,
        "perturbed": perturbed,
    }
