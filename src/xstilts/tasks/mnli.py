"""MNLI (English intermediate task): premise/hypothesis -> entailment, neutral, contradiction."""

from xstilts.tasks import register, revisions
from xstilts.tasks.spec import (
    NLI_HUB_NAMES,
    NLI_LABELS,
    HubSource,
    SizeFacts,
    SplitSource,
    TaskSpec,
    decode_nli,
    pair_converter,
)

register(
    TaskSpec(
        name="mnli",
        kind="pair",
        role="intermediate",
        labels=NLI_LABELS,
        head="nli",
        convert=pair_converter("premise", "hypothesis", decode_nli),
        splits={
            "train": SplitSource(
                "tasks/mnli/train.jsonl",
                HubSource("nyu-mll/glue", "mnli", "train", revisions.GLUE, NLI_HUB_NAMES),
            ),
            "dev": SplitSource(
                "tasks/mnli/validation_matched.jsonl",
                HubSource(
                    "nyu-mll/glue", "mnli", "validation_matched", revisions.GLUE, NLI_HUB_NAMES
                ),
            ),
        },
        size=SizeFacts(rows={"train": 392_702, "dev": 9_815}, tokens=96),
        notes="Model selection on validation_matched.",
    )
)
