"""Social IQa (English training data of XCOPA, first step): three answers.

XCOPA's English training is SIQA, then COPA (Ponti et al. 2020; XTREME-R): the target stage
runs it as `target.train_sequence.xcopa: [siqa, copa]`.
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

ANSWERS = ("answerA", "answerB", "answerC")
LABELS = ("1", "2", "3")  # allenai/social_i_qa: label is "1".."3", naming answerA..answerC


def convert(row: Row) -> dict[str, Any]:
    label = field_value(row, "label")
    if label not in LABELS:
        raise RowError(f"label: {label!r} is not one of {LABELS}")
    return {
        "context": text_field(row, "context"),
        "question": text_field(row, "question"),
        "choices": tuple(text_field(row, name) for name in ANSWERS),
        "label": LABELS.index(label),
    }


def _hub(split: str) -> HubSource:
    return HubSource("allenai/social_i_qa", None, split, revisions.SIQA)


register(
    TaskSpec(
        name="siqa",
        kind="choice",
        role="training",
        convert=convert,
        splits={
            "train": SplitSource(None, _hub("train")),
            "dev": SplitSource(None, _hub("validation")),
        },
        size=SizeFacts(rows={"train": 33_410, "dev": 1_954}, tokens=64, sequences=3),
    )
)
