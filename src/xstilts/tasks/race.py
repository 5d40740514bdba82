"""RACE (English intermediate task): reading comprehension, four options.

Input format, chosen deliberately (RACE is known to get stuck at chance when formatted badly):
each option is scored as the pair (article, question + " " + option), the article first; for a
cloze question (one containing "_") the option fills the blank instead, as in HF's and the GPT
paper's RACE setups, and the question field is left empty. Truncation removes the *end of the
article* only ('only_first'), so question and option are always seen in full. The full profile
uses max length 512 for RACE, not 256: articles average about 320 words (RACE paper), about
420 XLM-R tokens, so at 256 most articles would lose the part that holds the answer. A run whose
RACE dev accuracy stays within two standard errors of chance is flagged (stages/finetune.py).
Example ids are row indices: `example_id` names the article, which several questions share.
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

LETTERS = "ABCDEFGH"
BLANK = "_"


def convert(row: Row) -> dict[str, Any]:
    options = choice_texts(field_value(row, "options"), "options")
    answer = field_value(row, "answer")
    if not isinstance(answer, str) or answer not in LETTERS[: len(options)]:
        raise RowError(f"answer: {answer!r} is not a letter A..{LETTERS[len(options) - 1]}")
    question = text_field(row, "question")
    if BLANK in question:
        question, choices = "", tuple(question.replace(BLANK, o, 1) for o in options)
    else:
        choices = tuple(options)
    return {
        "context": text_field(row, "article"),
        "question": question,
        "choices": choices,
        "label": LETTERS.index(answer),
    }


def _hub(split: str) -> HubSource:
    return HubSource("ehovy/race", "all", split, revisions.RACE)


register(
    TaskSpec(
        name="race",
        kind="choice",
        role="intermediate",
        convert=convert,
        splits={
            "train": SplitSource("tasks/race/train.jsonl", _hub("train")),
            "dev": SplitSource("tasks/race/validation.jsonl", _hub("validation")),
        },
        size=SizeFacts(rows={"train": 87_866, "dev": 4_887}, tokens=512, sequences=4),
        notes="(article, question + option), cloze blanks filled; the article is truncated "
        "from its end; max length 512 in the full profile.",
    )
)
