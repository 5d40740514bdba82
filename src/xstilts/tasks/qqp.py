"""QQP (English intermediate task): are two questions duplicates?"""

from xstilts.tasks import register, revisions
from xstilts.tasks.spec import (
    HubSource,
    SizeFacts,
    SplitSource,
    TaskSpec,
    label_by_name,
    pair_converter,
)

LABELS = ("not_duplicate", "duplicate")  # nyu-mll/glue qqp: 0 not_duplicate, 1 duplicate

register(
    TaskSpec(
        name="qqp",
        kind="pair",
        role="intermediate",
        labels=LABELS,
        convert=pair_converter("question1", "question2", label_by_name(LABELS, LABELS)),
        splits={
            "train": SplitSource(
                "tasks/qqp/train.jsonl",
                HubSource("nyu-mll/glue", "qqp", "train", revisions.GLUE, LABELS),
            ),
            "dev": SplitSource(
                "tasks/qqp/validation.jsonl",
                HubSource("nyu-mll/glue", "qqp", "validation", revisions.GLUE, LABELS),
            ),
        },
        size=SizeFacts(rows={"train": 363_846, "dev": 40_430}, tokens=80),
        notes="The test split is unlabeled; validation is the dev set.",
    )
)
