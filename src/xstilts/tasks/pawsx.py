"""PAWS-X (XTREME extra target): adversarial paraphrase identification in 7 languages.

The translated dev and test sets hold a few rows whose sentence the translators left as the
placeholder "NS" (google-research-datasets/paws issue 15: e.g. dev id 684 in German; the
maintainers confirmed it; the paper's split sizes are the counts without them, so a cleaning step
was planned and not applied). Such a pair is not text in the language: it would be scored as a
paraphrase question about the letters N and S, its perturbations would edit the placeholder, and
in the generalized setting it would pair a real sentence with "NS". Those rows are dropped and
counted (`SkipRow`), so a test set may hold slightly fewer than 2,000 pairs; XTREME's own
scripts keep them.
"""

from typing import Any

from xstilts.tasks import register, revisions
from xstilts.tasks.spec import (
    HubSource,
    SizeFacts,
    SkipRow,
    SplitSource,
    TaskSpec,
    label_by_name,
    pair_converter,
)

LABELS = ("not_paraphrase", "paraphrase")  # 0 / 1 in google-research-datasets/paws-x
HUB_NAMES = ("0", "1")  # the class names paws-x declares for its label column


PLACEHOLDER = "NS"  # a sentence the translators did not translate


class Untranslated(SkipRow):
    reason = 'untranslated ("NS" placeholder)'


_pair = pair_converter("sentence1", "sentence2", label_by_name(LABELS, LABELS))


def convert(row: dict[str, Any]) -> dict[str, Any]:
    example = _pair(row)
    if PLACEHOLDER in (example["text_a"].strip(), example["text_b"].strip()):
        raise Untranslated
    return example


def _hub(config: str, split: str) -> HubSource:
    return HubSource("google-research-datasets/paws-x", config, split, revisions.PAWSX, HUB_NAMES)


register(
    TaskSpec(
        name="pawsx",
        kind="pair",
        role="target",
        labels=LABELS,
        convert=convert,
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
