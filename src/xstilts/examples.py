"""Typed examples: what every loader yields and every model consumes.

Labels are indices into the task's canonical label names (or, for multiple choice, the index of
the correct choice). The prepared JSONL files hold these records one per line.
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


Example = PairExample | TextExample | ChoiceExample
EXAMPLE_TYPES: dict[str, type] = {
    "pair": PairExample,
    "single": TextExample,
    "choice": ChoiceExample,
}


def example_to_dict(example: Example) -> dict[str, Any]:
    record = dataclasses.asdict(example)
    if isinstance(example, ChoiceExample):
        record["choices"] = list(example.choices)
    return record


def example_from_dict(kind: str, record: dict[str, Any]) -> Example:
    cls = EXAMPLE_TYPES[kind]
    if kind == "choice":
        record = {**record, "choices": tuple(record["choices"])}
    return cls(**record)


def example_texts(example: Example) -> list[str]:
    """Every free-text field of an example (for validation and statistics)."""
    if isinstance(example, PairExample):
        return [example.text_a, example.text_b]
    if isinstance(example, TextExample):
        return [example.text]
    return [example.context, example.question, *example.choices]


def required_texts(example: Example) -> list[str]:
    """The texts that must not be empty: all but a multiple-choice question, which some
    datasets leave empty (HellaSwag's ctx_b) or fold into the context (CommonsenseQA)."""
    if isinstance(example, ChoiceExample):
        return [example.context, *example.choices]
    return example_texts(example)
