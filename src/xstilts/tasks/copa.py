"""COPA (English training data of XCOPA, last step): premise, cause/effect, two choices.

The `question` field is the English keyword "cause" or "effect" (in XCOPA too, in every
language); it is given to the model as the question text, so the same cue is seen in training
and zero-shot. XCOPA's rows have the same schema, so XCOPA uses this converter.
"""

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


def convert(row: Row) -> dict[str, Any]:
    question = text_field(row, "question")
    if question not in ("cause", "effect"):
        raise RowError(f"question: {question!r} is not 'cause' or 'effect'")
    label = field_value(row, "label")
    if label not in (0, 1) or isinstance(label, bool):
        raise RowError(f"label: {label!r} is not 0 or 1")
    return {
        "context": text_field(row, "premise"),
        "question": question,
        "choices": (text_field(row, "choice1"), text_field(row, "choice2")),
        "label": label,
    }


def hub(split: str) -> HubSource:
    return HubSource("aps/super_glue", "copa", split, revisions.COPA, ("choice1", "choice2"))


register(
    TaskSpec(
        name="copa",
        kind="choice",
        role="training",
        convert=convert,
        id_field="idx",
        splits={
            # the sample world's English XCOPA training data is COPA-shaped
            "train": SplitSource("tasks/xcopa/en/train.jsonl", hub("train")),
            "dev": SplitSource("tasks/xcopa/en/validation.jsonl", hub("validation")),
        },
        size=SizeFacts(rows={"train": 400, "dev": 100}, tokens=32, sequences=2),
    )
)
