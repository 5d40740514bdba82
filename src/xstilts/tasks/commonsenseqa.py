"""CommonsenseQA (English intermediate task): five-way multiple choice on a bare question.

There is no passage: the question is the first segment and each answer the second, i.e.
(question, answer). The answer key is mapped through the row's own choice labels, by name.
"""

from typing import Any

from xstilts.tasks import register, revisions
from xstilts.tasks.spec import (
    HubSource,
    Row,
    RowError,
    SizeFacts,
    SplitSource,
    TaskSpec,
    choice_texts,
    field_value,
    text_field,
)

KEYS = ("A", "B", "C", "D", "E")  # tau/commonsense_qa: choices.label and answerKey


def convert(row: Row) -> dict[str, Any]:
    choices = field_value(row, "choices")
    if not isinstance(choices, dict) or not {"label", "text"} <= set(choices):
        raise RowError("choices: expected {label: [...], text: [...]}")
    keys, texts = list(choices["label"]), list(choices["text"])
    if tuple(keys) != KEYS or len(texts) != len(KEYS):
        raise RowError(f"choices: labels {keys} are not {list(KEYS)}")
    texts = list(choice_texts(texts, "choices.text"))
    answer = field_value(row, "answerKey")
    if answer not in KEYS:
        raise RowError(f"answerKey: {answer!r} is not one of {KEYS}")
    return {
        "context": text_field(row, "question"),
        "question": "",
        "choices": tuple(texts),
        "label": keys.index(answer),
    }


def _hub(split: str) -> HubSource:
    return HubSource("tau/commonsense_qa", None, split, revisions.COMMONSENSE_QA)


register(
    TaskSpec(
        name="commonsenseqa",
        kind="choice",
        role="intermediate",
        convert=convert,
        id_field="id",
        splits={
            "train": SplitSource(None, _hub("train")),
            "dev": SplitSource(None, _hub("validation")),
        },
        size=SizeFacts(rows={"train": 9_741, "dev": 1_221}, tokens=48, sequences=5),
        notes="(question, answer); the test split has no answer keys.",
    )
)
