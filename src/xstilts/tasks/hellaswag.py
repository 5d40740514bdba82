"""HellaSwag (English intermediate task): pick the plausible continuation, four endings.

Input format (as jiant and HF's multiple-choice examples): (ctx_a, ctx_b + " " + ending), where
ctx_b is the start of the sentence the ending completes (empty for many WikiHow rows). The
`activity_label` topic and the joined `ctx` field are not used.
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
    choice_texts,
    field_value,
    optional_text,
    text_field,
)

LABELS = ("0", "1", "2", "3")  # Rowan/hellaswag: label is the ending's index as a string


def convert(row: Row) -> dict[str, Any]:
    endings = field_value(row, "endings")
    if not isinstance(endings, list) or len(endings) != len(LABELS):
        raise RowError(f"endings: expected a list of {len(LABELS)} texts")
    endings = list(choice_texts(endings, "endings"))
    label = field_value(row, "label")
    if label not in LABELS:
        raise RowError(f"label: {label!r} is not one of {LABELS}")
    return {
        "context": text_field(row, "ctx_a"),
        "question": optional_text(row, "ctx_b"),
        "choices": tuple(endings),
        "label": LABELS.index(label),
    }


def _hub(split: str) -> HubSource:
    return HubSource("Rowan/hellaswag", None, split, revisions.HELLASWAG)


register(
    TaskSpec(
        name="hellaswag",
        kind="choice",
        role="intermediate",
        convert=convert,
        id_field="ind",
        splits={
            "train": SplitSource(None, _hub("train")),
            "dev": SplitSource(None, _hub("validation")),
        },
        size=SizeFacts(rows={"train": 39_905, "dev": 10_042}, tokens=160, sequences=4),
        notes="(ctx_a, ctx_b + ending); the test split is unlabeled, validation is the dev set.",
    )
)
