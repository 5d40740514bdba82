"""dvc.lock entries: read from a lock file, merged into one, written as DVC writes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xstilts.grid.state import write_atomically

SCHEMA = "2.0"


def read_entries(path: Path) -> dict[str, dict[str, Any]]:
    """The stages of a dvc.lock (empty when there is none), parsed by DVC's own YAML 1.2
    parser: PyYAML's YAML 1.1 would read a value such as `1e-08` as a string, not a float."""
    from dvc.utils.serialize import parse_yaml

    if not path.is_file():
        return {}
    data = parse_yaml(path.read_text(encoding="utf-8"), str(path)) or {}
    return dict(data.get("stages") or {})


def write_entries(path: Path, entries: dict[str, dict[str, Any]]) -> None:
    """A dvc.lock holding `entries` in their order, in DVC's own YAML layout (DVC's dumper, so
    equal entries give the bytes DVC writes)."""
    from dvc.utils.serialize import dumps_yaml

    write_atomically(path, dumps_yaml({"schema": SCHEMA, "stages": entries}))


def merged(
    old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]], order: list[str]
) -> dict[str, dict[str, Any]]:
    """`old` with `new`'s entries in it, as DVC updates a lock file: a replaced entry keeps its
    place, a new one is appended (in `order`, the graph's, then any other)."""
    rank = {name: i for i, name in enumerate(order)}
    ranked = sorted(new, key=lambda name: rank.get(name, len(rank)))
    return {**old, **{name: new[name] for name in ranked}}
