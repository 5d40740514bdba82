"""PAWS-X (XTREME extra target): adversarial paraphrase identification in 7 languages."""

from xstilts.tasks import register, revisions
from xstilts.tasks.spec import (
    HubSource,
    SizeFacts,
    SplitSource,
    TaskSpec,
    label_by_name,
    pair_converter,
)

LABELS = ("not_paraphrase", "paraphrase")  # 0 / 1 in google-research-datasets/paws-x
HUB_NAMES = ("0", "1")  # the class names paws-x declares for its label column


def _hub(config: str, split: str) -> HubSource:
    return HubSource("google-research-datasets/paws-x", config, split, revisions.PAWSX, HUB_NAMES)


register(
    TaskSpec(
        name="pawsx",
        kind="pair",
        role="target",
        labels=LABELS,
        convert=pair_converter("sentence1", "sentence2", label_by_name(LABELS, LABELS)),
        languages=("de", "en", "es", "fr", "ja", "ko", "zh"),
        id_field="id",
        # the 2,000 test pairs of each language are translations of the English ones, same ids
        parallel_test=True,
        splits={
            "train": SplitSource("tasks/pawsx/en/train.jsonl", _hub("en", "train")),
            "dev": SplitSource("tasks/pawsx/en/validation.jsonl", _hub("en", "validation")),
            "test": SplitSource("tasks/pawsx/{lang}/test.jsonl", _hub("{lang}", "test")),
        },
        # 49,401 English train rows; 2,000 validation and 2,000 test rows per language
        size=SizeFacts(rows={"train": 49_401, "dev": 2_000, "test": 2_000}, tokens=112),
    )
)
