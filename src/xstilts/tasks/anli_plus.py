"""ANLI+ (English intermediate task, Phang et al. 2020): SNLI, MNLI and ANLI rounds 1-3 read as
one training set, in proportion to their sizes, on the one NLI head and label space that MNLI
and XNLI use. SNLI's -1 ('no gold label') rows are dropped; every other label is mapped by name.
Model selection on the three ANLI dev rounds together (the hardest part of the mix)."""

from typing import Any

from xstilts.tasks import register, revisions
from xstilts.tasks.spec import (
    NLI_HUB_NAMES,
    NLI_LABELS,
    HubSource,
    SizeFacts,
    SkipRow,
    SplitSource,
    TaskSpec,
    decode_nli,
    pair_converter,
)

NO_GOLD_LABEL = -1  # stanfordnlp/snli dataset card: -1 when annotators did not agree

_pair = pair_converter("premise", "hypothesis", decode_nli)


def convert(row: dict[str, Any]) -> dict[str, Any]:
    if row.get("label") == NO_GOLD_LABEL:
        raise SkipRow
    return _pair(row)


def _anli(split: str) -> HubSource:
    return HubSource("facebook/anli", None, split, revisions.ANLI, NLI_HUB_NAMES)


register(
    TaskSpec(
        name="anli_plus",
        kind="pair",
        role="intermediate",
        labels=NLI_LABELS,
        head="nli",
        convert=convert,
        splits={
            "train": SplitSource(
                None,
                (
                    HubSource(
                        "stanfordnlp/snli", "plain_text", "train", revisions.SNLI, NLI_HUB_NAMES
                    ),
                    HubSource("nyu-mll/glue", "mnli", "train", revisions.GLUE, NLI_HUB_NAMES),
                    _anli("train_r1"),
                    _anli("train_r2"),
                    _anli("train_r3"),
                ),
            ),
            "dev": SplitSource(None, (_anli("dev_r1"), _anli("dev_r2"), _anli("dev_r3"))),
        },
        # SNLI 550,152 train rows (785 without gold label) + MNLI 392,702 + ANLI 16,946 + 45,460
        # + 100,459 (the dataset cards); ANLI dev 1,000 + 1,000 + 1,200.
        size=SizeFacts(rows={"train": 1_104_934, "dev": 3_200}, tokens=128),
        notes="SNLI + MNLI + ANLI R1-R3 train, one NLI head; select on ANLI dev R1-R3.",
    )
)
