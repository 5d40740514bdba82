"""Cosmos QA (English intermediate task): commonsense reading comprehension, four answers."""

from typing import Any

from xstilts.tasks import register, revisions
from xstilts.tasks.spec import (
    HubSource,
    Row,
    RowError,
    SizeFacts,
    SplitSource,
    TaskSpec,
    field_value,
    text_field,
)

ANSWERS = ("answer0", "answer1", "answer2", "answer3")  # allenai/cosmos_qa: label 0..3


def convert(row: Row) -> dict[str, Any]:
    label = field_value(row, "label")
    if isinstance(label, bool) or label not in range(len(ANSWERS)):
        raise RowError(f"label: {label!r} is not one of 0..{len(ANSWERS) - 1}")
    return {
        "context": text_field(row, "context"),
        "question": text_field(row, "question"),
        "choices": tuple(text_field(row, name) for name in ANSWERS),
        "label": label,
    }


def _hub(split: str) -> HubSource:
    return HubSource("allenai/cosmos_qa", None, split, revisions.COSMOS_QA)


register(
    TaskSpec(
        name="cosmosqa",
        kind="choice",
        role="intermediate",
        convert=convert,
        id_field="id",
        splits={
            "train": SplitSource(None, _hub("train")),
            "dev": SplitSource(None, _hub("validation")),
        },
        size=SizeFacts(rows={"train": 25_262, "dev": 2_985}, tokens=192, sequences=4),
        notes="(context, question + answer); the test split is unlabeled.",
    )
)
