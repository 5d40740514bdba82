"""XNLI (XTREME-R target): NLI in 15 languages; English training data is MNLI itself."""

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
        name="xnli",
        kind="pair",
        role="target",
        labels=NLI_LABELS,
        head="nli",
        convert=pair_converter("premise", "hypothesis", decode_nli),
        languages=tuple(
            [
                "ar",
                "bg",
                "de",
                "el",
                "en",
                "es",
                "fr",
                "hi",
                "ru",
                "sw",
                "th",
                "tr",
                "ur",
                "vi",
                "zh",
            ]
        ),
        splits={
            "train": SplitSource(
                "tasks/xnli/en/train.jsonl",
                HubSource("nyu-mll/glue", "mnli", "train", revisions.GLUE, NLI_HUB_NAMES),
            ),
            "dev": SplitSource(
                "tasks/xnli/en/validation.jsonl",
                HubSource("facebook/xnli", "en", "validation", revisions.XNLI, NLI_HUB_NAMES),
            ),
            "test": SplitSource(
                "tasks/xnli/{lang}/test.jsonl",
                HubSource("facebook/xnli", "{lang}", "test", revisions.XNLI, NLI_HUB_NAMES),
            ),
        },
        # train is MNLI; XNLI has 2,490 validation and 5,010 test rows per language
        size=SizeFacts(rows={"train": 392_702, "dev": 2_490, "test": 5_010}, tokens=96),
        notes="Train on English MNLI, select on English XNLI validation, test on XNLI test.",
        # the 5,010 test rows are one set translated into every language, in the same order
        parallel_test=True,
    )
)
