"""WikiANN NER (PAN-X; XTREME-R structured prediction): PER / ORG / LOC entities in BIO tags.

English training and dev from WikiANN English, zero-shot test in XTREME-R's 48 languages. Source:
unimelb-nlp/wikiann, one config per language code (rows `tokens`, `ner_tags`, `langs`,
`spans`), the Rahimi et al. (2019) splits XTREME uses; it holds all 48 languages, where
google/xtreme's `PAN-X.<lang>` lacks XTREME-R's eight additions (qu pl uk az lt pa gu ro). Its
split sizes equal google/xtreme's for the 40 languages they share.

Metric: entity-level micro F1 as seqeval computes it.
"""

from xstilts.tagsets import WIKIANN_NER
from xstilts.tasks import register, revisions
from xstilts.tasks.spec import (
    HubSource,
    SizeFacts,
    SplitSource,
    TaskSpec,
    label_by_name,
    tagging_converter,
)

NER_TAGS = WIKIANN_NER  # unimelb-nlp/wikiann's ner_tags ClassLabel, in its order
LANGUAGES = tuple(
    [
        "ar",
        "he",
        "vi",
        "id",
        "jv",
        "ms",
        "tl",
        "eu",
        "ml",
        "ta",
        "te",
        "af",
        "nl",
        "en",
        "de",
        "el",
        "bn",
        "hi",
        "mr",
        "ur",
        "fa",
        "fr",
        "it",
        "pt",
        "es",
        "bg",
        "ru",
        "ja",
        "ka",
        "ko",
        "th",
        "sw",
        "yo",
        "my",
        "zh",
        "kk",
        "tr",
        "et",
        "fi",
        "hu",
        "qu",
        "pl",
        "uk",
        "az",
        "lt",
        "pa",
        "gu",
        "ro",
    ]
)


def _hub(config: str, split: str) -> HubSource:
    return HubSource(
        "unimelb-nlp/wikiann", config, split, revisions.WIKIANN, NER_TAGS, label_field="ner_tags"
    )


register(
    TaskSpec(
        name="panx",
        kind="tagging",
        role="target",
        labels=NER_TAGS,
        convert=tagging_converter("tokens", "ner_tags", label_by_name(NER_TAGS, NER_TAGS)),
        metric="f1",
        languages=LANGUAGES,
        splits={
            "train": SplitSource("tasks/panx/en/train.jsonl", _hub("en", "train")),
            "dev": SplitSource("tasks/panx/en/validation.jsonl", _hub("en", "validation")),
            "test": SplitSource("tasks/panx/{lang}/test.jsonl", _hub("{lang}", "test")),
        },
        # English 20,000 / 10,000 / 10,000; test sets are 10,000 in most languages, 1,000 or
        # 100 in the smallest
        size=SizeFacts(rows={"train": 20_000, "dev": 10_000, "test": 10_000}, tokens=32),
        notes="Words as the dataset splits them, tag on each word's first sub-token; entity F1.",
    )
)
