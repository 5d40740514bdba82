"""MLQA (XTREME-R question answering): extractive QA over parallel Wikipedia sentences in seven
languages, questions and contexts in the same language (XTREME's setting); as an option
(`evaluate.cross_language`), also MLQA's generalized setting (G-XLT): every question language
against every context language, google/xtreme's `MLQA.<context>.<question>` configs (the files
`test-context-<context>-question-<question>.json` of MLQA's release).

English training on SQuAD v1.1, selection on SQuAD's validation split (XTREME), zero-shot test
on MLQA's test split. Source: google/xtreme's `MLQA.<lang>.<lang>` configs (rows `id`,
`title`, `context`, `question`, `answers`), Parquet; facebook/mlqa holds only a loading script.

Metric: F1 and exact match with MLQA's own language-aware normalisation (`xstilts.qa_metrics`).
"""

from xstilts.tasks import register, revisions, squad
from xstilts.tasks.spec import HubSource, SizeFacts, SplitSource, TaskSpec

LANGUAGES = ("ar", "de", "en", "es", "hi", "vi", "zh")


def _hub(config: str) -> HubSource:
    return HubSource("google/xtreme", config, "test", revisions.XTREME_MLQA)


register(
    TaskSpec(
        name="mlqa",
        kind="span",
        role="target",
        convert=squad.convert,
        id_field="id",
        metric="f1",
        normalization="mlqa",
        languages=LANGUAGES,
        splits={
            "train": SplitSource("tasks/squad/train.jsonl", squad.hub("train")),
            "dev": SplitSource("tasks/squad/validation.jsonl", squad.hub("validation")),
            # no sample set: MLQA's normalisation has no rule for Russian, a sample language
            "test": SplitSource(None, _hub("MLQA.{lang}.{lang}")),
        },
        # test sizes: en 11,590, es 5,253, de 4,517, ar 5,335, hi 4,918, vi 5,495, zh 5,137
        # contexts (and answers) in `{context}`, questions in `{question}`; the pinned commit
        # holds every pair: the conversion added the configs in name order, MLQA.zh.zh before
        # PAN-X.* and PAWS-X.*, and public code reads PAWS-X.es at this very commit
        cross_language_test=_hub("MLQA.{context}.{question}"),
        size=SizeFacts(rows={"train": 87_599, "dev": 10_570, "test": 5_300}, tokens=384),
        notes="Trained on SQuAD v1.1, selected on its validation split; MLQA normalisation.",
    )
)
