"""MNLI (English intermediate task): premise/hypothesis -> entailment, neutral, contradiction."""

from xstilts.tasks import register, revisions
from xstilts.tasks.spec import (
    NLI_LABELS,
    HubSource,
    SplitSource,
    TaskSpec,
    label_by_name,
    pair_converter,
)

# nyu-mll/glue mnli: label 0 entailment, 1 neutral, 2 contradiction (dataset card).
_decode = label_by_name(("entailment", "neutral", "contradiction"), NLI_LABELS)

register(
    TaskSpec(
        name="mnli",
        kind="pair",
        role="intermediate",
        labels=NLI_LABELS,
        head="nli",
        convert=pair_converter("premise", "hypothesis", _decode),
        splits={
            "train": SplitSource(
                "tasks/mnli/train.jsonl", HubSource("nyu-mll/glue", "mnli", "train", revisions.GLUE)
            ),
            "dev": SplitSource(
                "tasks/mnli/validation_matched.jsonl",
                HubSource("nyu-mll/glue", "mnli", "validation_matched", revisions.GLUE),
            ),
        },
        notes="Model selection on validation_matched.",
    )
)
