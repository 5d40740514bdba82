"""Source rows of one (task, split, language), from the sample world or the hub, as typed
examples. Both sources have the hub's row schema, so the task's one converter serves both."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xstilts.data.hub import hub_rows
from xstilts.errors import XstiltsError
from xstilts.examples import Example
from xstilts.tasks.spec import (
    EMPTY_TEXT_SHARE,
    HubSource,
    RareDefect,
    RowError,
    SkipRow,
    SplitSource,
    TaskSpec,
    cross_question,
)

log = logging.getLogger(__name__)
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


def _split_source(spec: TaskSpec, split: str, profile: str) -> SplitSource:
    question = cross_question(split)
    if question is not None:
        source = spec.cross_source(question)
    elif split not in spec.splits:
        raise XstiltsError(f"task {spec.name} has no '{split}' split")
    else:
        source = spec.splits[split]
    if profile == "sample" and source.sample is None:
        raise XstiltsError(
            f"task {spec.name} has no sample-world data; use it in the full profile only"
        )
    if profile != "sample" and not source.hub_parts:
        raise XstiltsError(f"task {spec.name} has no hub source for split '{split}'")
    return source


def source_name(spec: TaskSpec, split: str, lang: str, profile: str, data_root: Path) -> str:
    source = _split_source(spec, split, profile)
    if profile == "sample":
        return str(data_root / source.sample.format(lang=lang))
    return " + ".join(part.for_lang(lang).describe() for part in source.hub_parts)


def _parts(
    source: SplitSource, lang: str, profile: str, data_root: Path
) -> Iterator[tuple[str, str, Iterator[dict[str, Any]]]]:
    """(where, id prefix, rows) for each part of a split; ids get a prefix only when a split
    is several hub splits, so that they stay unique."""
    if profile == "sample":
        path = data_root / source.sample.format(lang=lang)
        yield str(path), "", sample_rows(path)
        return
    parts: tuple[HubSource, ...] = tuple(p.for_lang(lang) for p in source.hub_parts)
    for part in parts:
        prefix = f"{part.config or part.path}-{part.split}:" if len(parts) > 1 else ""
        rows = hub_rows(part)
        if part.id_prefix is not None:
            rows = _with_id_prefix(rows, part.id_prefix)
        yield part.describe(), prefix, rows


def _with_id_prefix(rows: Iterator[dict[str, Any]], prefix: str) -> Iterator[dict[str, Any]]:
    """The rows whose `id` starts with `prefix` (one language of a multilingual table)."""
    for row in rows:
        if str(row.get("id", "")).startswith(prefix):
            yield row


@dataclass
class LoadedSplit:
    """A split's examples, and how many source rows were dropped, by reason."""

    examples: list[Example]
    skipped: Counter[str] = field(default_factory=Counter)
    repaired: Counter[str] = field(default_factory=Counter)  # rows kept after a repair


def load_examples(
    spec: TaskSpec, split: str, lang: str, profile: str, data_root: Path
) -> list[Example]:
    """Every example of one split in one language (see `load_split`)."""
    return load_split(spec, split, lang, profile, data_root).examples


def load_split(spec: TaskSpec, split: str, lang: str, profile: str, data_root: Path) -> LoadedSplit:
    """Every example of one split in one language, validated row by row. Rows the dataset
    marks as unusable (SkipRow) and a few rows with a rare defect (RareDefect: an empty text, a
    misplaced answer; each at most EMPTY_TEXT_SHARE of a source) are dropped and counted; any
    other bad row is an error."""
    source = _split_source(spec, split, profile)
    loaded = LoadedSplit([])
    for where, prefix, rows in _parts(source, lang, profile, data_root):
        skipped: Counter[str] = Counter()
        repaired: Counter[str] = Counter()
        first_defect: dict[str, str] = {}
        index = -1
        for index, row in enumerate(rows):
            try:
                example, repair = spec.make_example_noting(row, index, lang)
            except SkipRow as skip:
                skipped[skip.reason] += 1
                continue
            except RowError as err:
                message = f"task {spec.name}, {where}, row {index}: field {err}"
                if not isinstance(err, RareDefect):
                    raise XstiltsError(message) from None
                first_defect.setdefault(err.reason, message)
                skipped[err.reason] += 1
                continue
            if repair:
                repaired[repair] += 1
            loaded.examples.append(example if not prefix else _with_prefix(example, prefix))
        for reason, first in first_defect.items():
            if skipped[reason] > EMPTY_TEXT_SHARE * (index + 1):
                raise XstiltsError(
                    f"{first} ({skipped[reason]} rows with '{reason}' in {index + 1} rows: more "
                    f"than the {EMPTY_TEXT_SHARE:.1%} a dataset may have; is the field right?)"
                )
        for reason, count in sorted(skipped.items()):
            log.warning("task %s, %s: dropped %d rows (%s)", spec.name, where, count, reason)
        for repair, count in sorted(repaired.items()):
            log.warning("task %s, %s: %d rows repaired (%s)", spec.name, where, count, repair)
        loaded.repaired.update(repaired)
        loaded.skipped.update(skipped)
    if not loaded.examples:
        raise XstiltsError(
            f"task {spec.name}: {source_name(spec, split, lang, profile, data_root)} is empty"
        )
    return loaded


def _with_prefix(example: Example, prefix: str) -> Example:
    return dataclasses.replace(example, id=prefix + example.id)
