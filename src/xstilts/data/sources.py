"""Source rows of one (task, split, language), from the sample world or the hub, as typed
examples. Both sources have the hub's row schema, so the task's one converter serves both."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from xstilts.data.hub import hub_rows
from xstilts.errors import XstiltsError
from xstilts.examples import Example
from xstilts.tasks.spec import RowError, TaskSpec

PULL_HINT = "run `dvc pull data.dvc` (or regenerate it: `python -m xstilts.sample --out data`)"


def sample_rows(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        raise XstiltsError(f"sample data file {path} is missing; {PULL_HINT}")
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                yield json.loads(line)
            except json.JSONDecodeError as err:
                raise XstiltsError(f"{path}, line {number}: not valid JSON ({err.msg})") from None


def source_name(spec: TaskSpec, split: str, lang: str, profile: str, data_root: Path) -> str:
    source = spec.splits[split]
    if profile == "sample":
        return str(data_root / source.sample.format(lang=lang))
    if source.hub is None:
        raise XstiltsError(f"task {spec.name} has no hub source for split '{split}'")
    return source.hub.for_lang(lang).describe()


def load_examples(
    spec: TaskSpec, split: str, lang: str, profile: str, data_root: Path
) -> list[Example]:
    """Every example of one split in one language, validated row by row."""
    if split not in spec.splits:
        raise XstiltsError(f"task {spec.name} has no '{split}' split")
    source = spec.splits[split]
    if profile == "sample":
        rows = sample_rows(data_root / source.sample.format(lang=lang))
    else:
        rows = hub_rows(source.hub.for_lang(lang)) if source.hub else iter(())
    examples = []
    for index, row in enumerate(rows):
        try:
            examples.append(spec.make_example(row, index, lang))
        except RowError as err:
            where = source_name(spec, split, lang, profile, data_root)
            raise XstiltsError(f"task {spec.name}, {where}, row {index}: field {err}") from None
    if not examples:
        raise XstiltsError(f"task {spec.name}: {source_name(spec, split, lang, profile, data_root)} is empty")
    return examples
