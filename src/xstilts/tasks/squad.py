"""SQuAD v1.1 (English intermediate task, and the English training data of XQuAD and MLQA):
extractive question answering over Wikipedia paragraphs.

Source: rajpurkar/squad, config `plain_text` (rows `id`, `title`, `context`, `question`,
`answers: {text, answer_start}`), train 87,599 and validation 10,570 questions; validation rows
carry several gold answers (the best is scored). Phang et al. count SQuAD among the three best
intermediate tasks. Windows, answer choice and metric: `xstilts.modeling.span_inputs`,
`xstilts.modeling.predict_spans`, `xstilts.qa_metrics` (SQuAD v1.1's normalisation).
"""

from xstilts.tasks import register, revisions
from xstilts.tasks.spec import HubSource, SizeFacts, SplitSource, TaskSpec, span_converter


def hub(split: str) -> HubSource:
    return HubSource("rajpurkar/squad", "plain_text", split, revisions.SQUAD)


convert = span_converter()
SIZE = SizeFacts(rows={"train": 87_599, "dev": 10_570}, tokens=384)

register(
    TaskSpec(
        name="squad",
        kind="span",
        role="intermediate",
        convert=convert,
        id_field="id",
        metric="f1",
        splits={
            "train": SplitSource("tasks/squad/train.jsonl", hub("train")),
            "dev": SplitSource("tasks/squad/validation.jsonl", hub("validation")),
        },
        size=SIZE,
        notes="(question, context) windows; start/end head; F1 with SQuAD's normalisation.",
    )
)
