"""XQuAD (XTREME-R question answering): SQuAD v1.1 dev paragraphs and questions translated by
professionals into 11 languages (XTREME-R adds Romanian), 1,190 questions each, parallel.

English training on SQuAD v1.1, model selection on SQuAD's validation split, zero-shot test on
every language (XTREME's `scripts/train.sh`: XQuAD and MLQA both train on SQuAD). Source:
google/xquad, configs `xquad.<lang>`, its only split `validation` (rows `id`, `context`,
`question`, `answers`). The hub's loader stripped contexts without moving answer offsets (es and
th contexts begin with U+FEFF); offsets off that way are moved to their text and counted.

Metric: F1 and exact match with SQuAD v1.1's normalisation, as XTREME scores XQuAD.
"""

from xstilts.tasks import register, revisions, squad
from xstilts.tasks.spec import HubSource, SizeFacts, SplitSource, TaskSpec

LANGUAGES = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")

register(
    TaskSpec(
        name="xquad",
        kind="span",
        role="target",
        convert=squad.convert,
        id_field="id",
        metric="f1",
        languages=LANGUAGES,
        parallel_test=True,  # every language's ids are the English question's
        splits={
            "train": SplitSource("tasks/squad/train.jsonl", squad.hub("train")),
            "dev": SplitSource("tasks/squad/validation.jsonl", squad.hub("validation")),
            "test": SplitSource(
                "tasks/xquad/{lang}/test.jsonl",
                HubSource("google/xquad", "xquad.{lang}", "validation", revisions.XQUAD),
            ),
        },
        size=SizeFacts(rows={"train": 87_599, "dev": 10_570, "test": 1_190}, tokens=384),
        notes="Trained on SQuAD v1.1, selected on its validation split; SQuAD normalisation.",
    )
)
