"""XCOPA (XTREME-R target): causal commonsense reasoning, two choices, 11 languages.

The `question` field is the English keyword "cause" or "effect" in every language; it is given
to the model as the question text, so the same cue is seen in training and zero-shot.
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


register(
    TaskSpec(
        name="xcopa",
        kind="choice",
        role="target",
        convert=convert,
        languages=tuple(["et", "ht", "id", "it", "qu", "sw", "ta", "th", "tr", "vi", "zh"]),
        id_field="idx",
        splits={
            "train": SplitSource(
                "tasks/xcopa/en/train.jsonl",
                HubSource("aps/super_glue", "copa", "train", revisions.COPA),
            ),
            "dev": SplitSource(
                "tasks/xcopa/en/validation.jsonl",
                HubSource("aps/super_glue", "copa", "validation", revisions.COPA),
            ),
            "test": SplitSource(
                "tasks/xcopa/{lang}/test.jsonl",
                HubSource("cambridgeltl/xcopa", "{lang}", "test", revisions.XCOPA),
            ),
        },
        notes="English training on COPA; select on COPA validation; test on XCOPA test.",
    )
)
