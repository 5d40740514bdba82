"""XCOPA (XTREME-R target): causal commonsense reasoning, two choices, 11 languages.

Its own English train/dev splits are COPA's (the sample profile trains on them in one step).
The full profile trains in two steps, SIQA then COPA, through `target.train_sequence`.
"""

from xstilts.tasks import register, revisions
from xstilts.tasks.copa import convert, hub
from xstilts.tasks.spec import HubSource, SizeFacts, SplitSource, TaskSpec

register(
    TaskSpec(
        name="xcopa",
        kind="choice",
        role="target",
        convert=convert,
        languages=("et", "ht", "id", "it", "qu", "sw", "ta", "th", "tr", "vi", "zh"),
        id_field="idx",
        # every language's 500 test examples translate COPA's, under the same idx
        parallel_test=True,
        splits={
            "train": SplitSource("tasks/xcopa/en/train.jsonl", hub("train")),
            "dev": SplitSource("tasks/xcopa/en/validation.jsonl", hub("validation")),
            "test": SplitSource(
                "tasks/xcopa/{lang}/test.jsonl",
                HubSource("cambridgeltl/xcopa", "{lang}", "test", revisions.XCOPA),
            ),
        },
        size=SizeFacts(rows={"train": 400, "dev": 100, "test": 500}, tokens=32, sequences=2),
        notes="English training on COPA (or SIQA then COPA); select on COPA validation; "
        "test on XCOPA test.",
    )
)
