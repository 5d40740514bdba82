"""Typed examples: what every loader yields and every model consumes.

Labels are indices into the task's canonical label names (or, for multiple choice, the index of
the correct choice; for tagging, one tag index per word; for span QA, answer texts and offsets).
The prepared JSONL files hold these records one per line.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PairExample:
    """Sentence-pair classification (NLI, paraphrase)."""

    id: str
    lang: str
    text_a: str
    text_b: str
    label: int


@dataclass(frozen=True)
class TextExample:
    """Single-text classification (sentiment, ...)."""

    id: str
    lang: str
    text: str
    label: int


@dataclass(frozen=True)
class ChoiceExample:
    """Multiple choice with any number of choices (RACE, COPA, ...)."""

    id: str
    lang: str
    context: str
    question: str
    choices: tuple[str, ...]
    label: int


@dataclass(frozen=True)
class TaggedExample:
    """Token classification (POS, NER): a sentence given as words, one tag index per word.

    The words are the dataset's own segmentation (UD and WikiANN are pre-tokenized), so a tag
    always belongs to exactly one word; the model sees the words as they are split here. Each
    layer has its tagging module: `modeling.tagged_inputs` (words to sub-tokens, a tag on each
    word's first one), `modeling.heads.TokenClassificationHead`, `modeling.predict_tags`,
    `training.tagging_objective`, `tag_metrics` (word accuracy, entity F1), `perturb.tagged`
    (tags carried through every perturbation), `attack.tagging`, `evaluate.tagging` and
    `evaluate.tagging_attack`."""

    id: str
    lang: str
    words: tuple[str, ...]
    tags: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.words) != len(self.tags):
            raise ValueError(f"{len(self.words)} words but {len(self.tags)} tags")

    @property
    def text(self) -> str:
        """The words joined by single spaces (for display and statistics)."""
        return " ".join(self.words)


@dataclass(frozen=True)
class SpanExample:
    """Extractive question answering (SQuAD, XQuAD, MLQA, TyDiQA-GoldP): the answer is a span
    of `context`. `answers` are the gold texts (one in training data, several in some dev and
    test sets, none for a question typed into the demo) and `starts` their character offsets in
    `context`; `context[s:s + len(a)] == a`
    holds for every pair (the loaders check it). Each layer has its span module:
    `modeling.span_inputs` (question + context windows, offsets back to characters),
    `modeling.heads.SpanHead`, `modeling.predict_spans` (the best span over windows),
    `training.span_objective`, `qa_metrics` (F1 and exact match with each benchmark's answer
    normalisation) and `evaluate.spans`."""

    id: str
    lang: str
    context: str
    question: str
    answers: tuple[str, ...]
    starts: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.answers) != len(self.starts):
            raise ValueError(f"{len(self.answers)} answers but {len(self.starts)} starts")
        for text, start in zip(self.answers, self.starts, strict=True):
            if self.context[start : start + len(text)] != text:
                raise ValueError(f"answer {text!r} is not at offset {start} of the context")


Example = PairExample | TextExample | ChoiceExample | TaggedExample | SpanExample
EXAMPLE_TYPES: dict[str, type] = {
    "pair": PairExample,
    "single": TextExample,
    "choice": ChoiceExample,
    "tagging": TaggedExample,
    "span": SpanExample,
}
_SEQUENCE_FIELDS = {
    "choice": ("choices",),
    "tagging": ("words", "tags"),
    "span": ("answers", "starts"),
}


def example_to_dict(example: Example) -> dict[str, Any]:
    record = dataclasses.asdict(example)
    for name in ("choices", "words", "tags", "answers", "starts"):
        if name in record:
            record[name] = list(record[name])
    return record


def example_from_dict(kind: str, record: dict[str, Any]) -> Example:
    cls = EXAMPLE_TYPES[kind]
    record = {**record, **{name: tuple(record[name]) for name in _SEQUENCE_FIELDS.get(kind, ())}}
    return cls(**record)


def example_texts(example: Example) -> list[str]:
    """Every free-text field of an example (for validation and statistics)."""
    if isinstance(example, PairExample):
        return [example.text_a, example.text_b]
    if isinstance(example, TextExample | TaggedExample):
        return [example.text]
    if isinstance(example, SpanExample):
        return [example.context, example.question]
    return [example.context, example.question, *example.choices]


def required_texts(example: Example) -> list[str]:
    """The texts that must not be empty: all but a multiple-choice question, which some
    datasets leave empty (HellaSwag's ctx_b) or fold into the context (CommonsenseQA); for
    tagging, the sentence (a single word may be blank: it is read as `<unk>`)."""
    if isinstance(example, ChoiceExample):
        return [example.context, *example.choices]
    return example_texts(example)
