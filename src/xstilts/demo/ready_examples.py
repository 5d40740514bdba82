"""Ready examples for the demo, shipped with the package (`examples.json`).

Rows marked with a `source` such as `data/tasks/xnli/ru/test.jsonl:7` are copied verbatim from
the sample world's test sets (en, vi, ru, ar, hi, zh; a test checks them against `data/`); the
`hand-written` rows add scripts the sample world lacks (Greek, Hebrew, Thai, Japanese, Korean,
Georgian, Tamil). They are inputs to try, not labelled data.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from xstilts.demo.inputs import FIELDS
from xstilts.tasks import get_task


@functools.cache
def all_examples() -> dict[str, list[dict[str, Any]]]:
    text = resources.files("xstilts.demo").joinpath("examples.json").read_text(encoding="utf-8")
    return json.loads(text)


def example_rows(task: str) -> list[list[str]]:
    """Rows for gr.Examples: the task kind's fields in order, then the language box's value.

    That value is always "auto": an example's language is what "auto" guesses from its script
    (a test checks it), and a click on an example must not leave a language behind for the next
    text the user types."""
    kind = get_task(task).kind
    return [
        [row["fields"].get(name, "") for name, _ in FIELDS[kind]] + ["auto"]
        for row in all_examples().get(task, [])
    ]


def example_labels(task: str) -> list[str]:
    """What the examples table shows of each row: its language and source, and its start."""
    labels = []
    for row in all_examples().get(task, []):
        first = next(iter(row["fields"].values()), "")
        origin = "hand-written" if row.get("source") == "hand-written" else "sample world"
        labels.append(f"{row['language']} ({origin}): {first[:48]}")
    return labels


# Sentences for the Tagging tab, words separated by spaces (Chinese too): `source` as above.
TAGGING_EXAMPLES = (
    {"sentence": "Does Tariq call Nina ?", "language": "en",
     "source": "data/tasks/panx/en/test.jsonl:2"},
    {"sentence": "Гакет ли Tariq Nina ?", "language": "ru",
     "source": "data/tasks/panx/ru/test.jsonl:2"},
    {"sentence": "هل يجالنين Tariq Nina ؟", "language": "ar",
     "source": "data/tasks/panx/ar/test.jsonl:2"},
    {"sentence": "Olga 在 前 读 轻洗 。", "language": "zh",
     "source": "data/tasks/udpos/zh/test.jsonl:1"},
    {"sentence": "Olga शन्दों में वल्पे घता है ।", "language": "hi",
     "source": "data/tasks/udpos/hi/test.jsonl:1"},
    {"sentence": "Angela Merkel visited Paris with engineers from Siemens .", "language": "en",
     "source": "hand-written"},
    {"sentence": "李 明 在 北京 的 大学 工作 。", "language": "zh", "source": "hand-written"},
)  # fmt: skip


def tagging_rows() -> list[list[str]]:
    """Rows for the Tagging tab's gr.Examples: the sentence, then "auto" (as `example_rows`)."""
    return [[row["sentence"], "auto"] for row in TAGGING_EXAMPLES]


def tagging_labels() -> list[str]:
    labels = []
    for row in TAGGING_EXAMPLES:
        origin = "hand-written" if row["source"] == "hand-written" else "sample world"
        labels.append(f"{row['language']} ({origin}): {row['sentence'][:48]}")
    return labels
