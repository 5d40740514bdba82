"""UD-POS (XTREME-R structured prediction): universal part-of-speech tags, one per word.

English training and dev from UD English, zero-shot test in every language. Source:
google/xtreme's `udpos.<Language name>` configs (rows `tokens`, `pos_tags`), the UD v2.5
treebanks XTREME used, for XTREME's 33 UD-POS languages. XTREME-R's five additions (lt pl uk wo
ro, from UD v2.7) have no Parquet copy of that release on the hub (`universal_dependencies` is a
loading script; `commul/universal_dependencies` holds UD 2.17+), so they are not among this
task's languages. google/xtreme keeps UD's syntactic words where XTREME's own preprocessing
keeps the fused surface form of a multi-word token (de, fr, es, it, pt, ar, he, tr...): token
sequences there differ from XTREME's files. No revision of google/xtreme is pinned (see
`revisions.XTREME`), so the full profile loads this task only once one is.

Metric: word accuracy. XTREME reports seqeval's F1 over the bare tags instead; evaluation
records that too (`pos_f1`), for comparison with published numbers.
"""

from xstilts.tagsets import UPOS
from xstilts.tasks import register, revisions
from xstilts.tasks.spec import (
    HubSource,
    SizeFacts,
    SplitSource,
    TaskSpec,
    label_by_name,
    tagging_converter,
)

CONFIG_NAMES = (
    ("af", "Afrikaans"),
    ("ar", "Arabic"),
    ("bg", "Bulgarian"),
    ("de", "German"),
    ("el", "Greek"),
    ("en", "English"),
    ("es", "Spanish"),
    ("et", "Estonian"),
    ("eu", "Basque"),
    ("fa", "Persian"),
    ("fi", "Finnish"),
    ("fr", "French"),
    ("he", "Hebrew"),
    ("hi", "Hindi"),
    ("hu", "Hungarian"),
    ("id", "Indonesian"),
    ("it", "Italian"),
    ("ja", "Japanese"),
    ("kk", "Kazakh"),
    ("ko", "Korean"),
    ("mr", "Marathi"),
    ("nl", "Dutch"),
    ("pt", "Portuguese"),
    ("ru", "Russian"),
    ("ta", "Tamil"),
    ("te", "Telugu"),
    ("th", "Thai"),
    ("tl", "Tagalog"),
    ("tr", "Turkish"),
    ("ur", "Urdu"),
    ("vi", "Vietnamese"),
    ("yo", "Yoruba"),
    ("zh", "Chinese"),
)


def _hub(config: str, split: str) -> HubSource:
    return HubSource(
        "google/xtreme",
        config,
        split,
        revisions.XTREME,
        UPOS,
        label_field="pos_tags",
        config_names=CONFIG_NAMES,
    )


register(
    TaskSpec(
        name="udpos",
        kind="tagging",
        role="target",
        labels=UPOS,
        convert=tagging_converter("tokens", "pos_tags", label_by_name(UPOS, UPOS)),
        metric="accuracy",
        languages=tuple(code for code, _ in CONFIG_NAMES),
        splits={
            "train": SplitSource("tasks/udpos/en/train.jsonl", _hub("udpos.English", "train")),
            "dev": SplitSource(
                "tasks/udpos/en/validation.jsonl", _hub("udpos.English", "validation")
            ),
            "test": SplitSource("tasks/udpos/{lang}/test.jsonl", _hub("udpos.{name}", "test")),
        },
        # UD English (google/xtreme udpos.English): 21,253 train, 3,974 validation, 5,440 test
        # sentences; other languages' test sets differ in size (Thai 1,000).
        size=SizeFacts(rows={"train": 21_253, "dev": 3_974, "test": 5_440}, tokens=40),
        notes="Words as the dataset splits them, tag on each word's first sub-token; "
        "XTREME-R's lt pl uk wo ro have no Parquet source of UD v2.7 and are left out.",
    )
)
