"""SST-2 (English intermediate task): binary sentiment of a single sentence."""

from typing import Any

from xstilts.tasks import register, revisions
from xstilts.tasks.spec import (
    HubSource,
    Row,
    SizeFacts,
    SplitSource,
    TaskSpec,
    field_value,
    label_by_name,
    text_field,
)

LABELS = ("negative", "positive")  # nyu-mll/glue sst2: 0 negative, 1 positive
_decode = label_by_name(LABELS, LABELS)


def convert(row: Row) -> dict[str, Any]:
    return {"text": text_field(row, "sentence"), "label": _decode(field_value(row, "label"))}


def _hub(split: str) -> HubSource:
    return HubSource("nyu-mll/glue", "sst2", split, revisions.GLUE, LABELS)


register(
    TaskSpec(
        name="sst2",
        kind="single",
        role="intermediate",
        labels=LABELS,
        convert=convert,
        splits={
            "train": SplitSource(None, _hub("train")),
            "dev": SplitSource(None, _hub("validation")),
        },
        size=SizeFacts(rows={"train": 67_349, "dev": 872}, tokens=64),
        notes="The test split is unlabeled; validation is the dev set.",
    )
)
