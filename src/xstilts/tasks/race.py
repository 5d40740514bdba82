"""RACE (English intermediate task): reading comprehension, four options.

Input format: each option is scored as the pair (article, question + " " + option); truncation
removes the *end of the article* only, so question and option are always seen in full.
"""

from typing import Any

from xstilts.tasks import register, revisions
from xstilts.tasks.spec import (
    HubSource,
    Row,
    RowError,
    SplitSource,
    TaskSpec,
    field_value,
    text_field,
)

LETTERS = "ABCDEFGH"


def convert(row: Row) -> dict[str, Any]:
    options = field_value(row, "options")
    if not isinstance(options, list) or not all(isinstance(o, str) and o.strip() for o in options):
        raise RowError("options: expected a list of non-empty texts")
    answer = field_value(row, "answer")
    if not isinstance(answer, str) or answer not in LETTERS[: len(options)]:
        raise RowError(f"answer: {answer!r} is not a letter A..{LETTERS[len(options) - 1]}")
    return {
        "context": text_field(row, "article"),
        "question": text_field(row, "question"),
        "choices": tuple(options),
        "label": LETTERS.index(answer),
    }


def _hub(split: str) -> HubSource:
    return HubSource("ehovy/race", "all", split, revisions.RACE)


register(
    TaskSpec(
        name="race",
        kind="choice",
        role="intermediate",
        convert=convert,
        splits={
            "train": SplitSource("tasks/race/train.jsonl", _hub("train")),
            "dev": SplitSource("tasks/race/validation.jsonl", _hub("validation")),
        },
        notes="(article, question + option) pairs; the article is truncated from its end.",
    )
)
