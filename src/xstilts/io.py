"""Small file helpers: atomic outputs and JSON/JSONL with stable formatting.

Every stage writes its outputs through `atomic_dir` / `atomic_file`: the content goes to a
temporary sibling first and is renamed into place only when complete, so an interrupted run never
leaves a half-written checkpoint or metrics file for DVC to cache. In a multi-process run only the
main process publishes: the others write into a scratch copy that is thrown away.

A killed run (`kill -9`, out of memory) cannot remove its temporary sibling, and a leftover inside
an output directory changes that directory's hash. So the sibling is named after the process's
rank, not at random (`.<name>.tmp-rank<r>`): the next write of the same path by the same rank
finds and replaces it, and the main process also removes siblings that no process of the current
run can own (a rank beyond the world size, or the random names of earlier versions).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from xstilts.ranks import is_main_process, process_rank, world_size

_RANKED = r"tmp-rank(?P<rank>\d+)"
_RANDOM = r"[a-z0-9_]{8}"  # what tempfile.mkdtemp / mkstemp added to the prefix


def scratch_path(path: Path) -> Path:
    """This process's temporary sibling of `path`."""
    return path.with_name(f".{path.name}.tmp-rank{process_rank()}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def is_leftover(sibling: Path, path: Path) -> bool:
    """Whether `sibling` is a temporary sibling of `path` that no live process of this run can
    be writing: this process's own, and, seen from the main process, any rank's beyond the world
    size or a random-named one. Other ranks' siblings are theirs to clear."""
    match = re.fullmatch(rf"\.{re.escape(path.name)}\.(?:{_RANKED}|{_RANDOM})", sibling.name)
    if match is None:
        return False
    if match["rank"] is None:
        return is_main_process()
    rank = int(match["rank"])
    return rank == process_rank() or (is_main_process() and rank >= world_size())


def clear_leftovers(path: Path) -> None:
    """Remove the temporary siblings of `path` that killed runs left behind."""
    for sibling in path.parent.iterdir():
        if is_leftover(sibling, path):
            _remove(sibling)


def _fresh_scratch(path: Path) -> Path:
    """Create the parent, clear leftovers of killed runs, and return this process's sibling."""
    path.parent.mkdir(parents=True, exist_ok=True)
    clear_leftovers(path)
    return scratch_path(path)


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temporary directory that replaces `path` when the block succeeds."""
    path = Path(path)
    tmp = _fresh_scratch(path)
    tmp.mkdir()
    try:
        yield tmp
        if not is_main_process():
            return
        if path.exists():
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary file path that replaces `path` when the block succeeds."""
    path = Path(path)
    tmp = _fresh_scratch(path)
    tmp.touch()
    try:
        yield tmp
        if is_main_process():
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def strict_json(obj: Any) -> Any:
    """`obj` with every NaN or infinite float replaced by None. Python's json writes those as
    bare `NaN` / `Infinity`, which is not JSON: jq, JavaScript and strict parsers reject the
    file. An undefined value (the spread over one seed, say) is written as `null`."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {key: strict_json(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [strict_json(value) for value in obj]
    return obj


def dumps(obj: Any) -> str:
    """Indented JSON with sorted keys; NaN and infinities become `null` (`strict_json`)."""
    text = json.dumps(
        strict_json(obj), ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False
    )
    return text + "\n"


def write_json(path: str | Path, obj: Any) -> None:
    with atomic_file(path) as tmp:
        tmp.write_text(dumps(obj), encoding="utf-8")


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> None:
    with atomic_file(path) as tmp, tmp.open("w", encoding="utf-8") as out:
        for record in records:
            line = json.dumps(
                strict_json(record), ensure_ascii=False, sort_keys=True, allow_nan=False
            )
            out.write(line + "\n")


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    return list(iter_jsonl(path))


def iter_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    with Path(path).open(encoding="utf-8") as lines:
        yield from (json.loads(line) for line in lines if line.strip())
