"""DVC's command line with a faster rewrite of `dvc.lock`, to the same bytes.

After every stage it runs, DVC rewrites the whole `dvc.lock`, holding the repository lock: it
parses the file with ruamel's round-trip loader, puts the stage's entry in and dumps every entry
again with ruamel's emitter. Both are pure Python, and both grow with the number of stages, not
with the one that changed: with the sample profile's 85 stages (~500 KB) the parse takes 1.8 s
and the dump 1.05 s, of the ~4 s DVC spends around a stage, one stage at a time.

Here, for `dvc.lock` only:
- the parse is the safe loader's (ruamel's C one, 0.35 s), which gives the same mappings and
  lists; the round-trip loader's extra is keeping comments, and DVC writes none into `dvc.lock`;
- the dump emits, with DVC's own emitter, only the stage entries whose data differs from what was
  parsed, and copies the others' text from the file as read. The emitter lays out each entry of a
  block mapping on its own, so for a file DVC wrote this is the file DVC's full dump writes; an
  entry laid out by hand keeps its layout, as the round-trip loader keeps it, and its data is
  the data parsed from that very text. A file with anything else (other top-level keys, anchors,
  entries that cannot be matched to its lines) is dumped whole as DVC dumps it.
Every other file (`dvc.yaml` included) goes through DVC unchanged. `tests/test_dvc_lockfile.py`
checks the bytes against DVC's own on the committed lock and on runs that add and change stages.

`xstilts repro` and `xstilts rehearse` run DVC as `python -m xstilts.dvc_lockfile <dvc args>`.
When DVC's serialization module no longer looks as this was written against, the command is plain
DVC. A plain `dvc` reads and writes the same file.
"""

from __future__ import annotations

import inspect
import io
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

LOCK_FILE = "dvc.lock"
STAGES_LINE = "stages:\n"
ENTRY_START = re.compile(r"^  \S", re.MULTILINE)  # a key of the `stages` mapping


def command(dvc_args: Sequence[str]) -> list[str]:
    """The argv that runs `dvc <dvc_args>` through this module with the current interpreter."""
    return [sys.executable, "-m", __name__, *dvc_args]


@dataclass
class _ParsedLock:
    """A parsed lock file and each stage entry's data (as JSON) and text."""

    data: dict
    entries: dict[str, tuple[str, str]]


class _Rewriter:
    """DVC's parse-for-update and dump, faster for `dvc.lock` (see the module's docstring)."""

    def __init__(self, round_trip: Callable, parse: Callable, dump: Callable) -> None:
        self.round_trip, self.parse, self.dump = round_trip, parse, dump
        self.parsed: _ParsedLock | None = None

    def parse_for_update(self, text: str, path: Any) -> Any:
        if os.path.basename(os.fspath(path)) != LOCK_FILE:
            return self.round_trip(text, path)
        data = self.parse(text, path, typ="safe")
        entries = _entries(text, data) if isinstance(data, dict) else None
        self.parsed = None if entries is None else _ParsedLock(data, entries)
        return data

    def dump_data(self, data: Any, stream: TextIO) -> Any:
        parsed, self.parsed = self.parsed, None
        if parsed is None or parsed.data is not data or list(data) != ["schema", "stages"]:
            return self.dump(data, stream)
        text = self._spliced(data, parsed.entries)
        if text is None:
            return self.dump(data, stream)
        stream.write(text)
        return None

    def _spliced(self, data: dict, entries: dict[str, tuple[str, str]]) -> str | None:
        stages = data["stages"]
        if not isinstance(stages, dict) or not stages:
            return None
        parts = [self._dumped({"schema": data["schema"]}), STAGES_LINE]
        for name, value in stages.items():
            key = _key(value)
            if key is not None and name in entries and entries[name][0] == key:
                parts.append(entries[name][1])
                continue
            text = self._dumped({"stages": {name: value}})
            if not text.startswith(STAGES_LINE) or "&id" in text:
                return None
            parts.append(text[len(STAGES_LINE) :])
        return "".join(parts)

    def _dumped(self, data: dict) -> str:
        out = io.StringIO()
        self.dump(data, out)
        return out.getvalue()


def _key(value: Any) -> str | None:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError):
        return None


def _entries(text: str, data: dict) -> dict[str, tuple[str, str]] | None:
    """Each stage entry's (data as JSON, text); None when the text cannot be matched to the
    entries (the file is then dumped whole, as DVC dumps it)."""
    start = text.find("\n" + STAGES_LINE)
    stages = data.get("stages")
    if list(data) != ["schema", "stages"] or not isinstance(stages, dict) or start < 0:
        return None
    if "&id" in text:
        return None
    body_start = start + 1 + len(STAGES_LINE)
    starts = [body_start + m.start() for m in ENTRY_START.finditer(text[body_start:])]
    if len(starts) != len(stages) or (starts and starts[0] != body_start):
        return None
    ends = [*starts[1:], len(text)]
    entries = {}
    for name, begin, end in zip(stages, starts, ends, strict=True):
        key = _key(stages[name])
        if key is not None:
            entries[name] = (key, text[begin:end])
    return entries


def install() -> bool:
    """Give DVC the faster lock-file rewrite; False (DVC untouched) when its YAML module is not
    the one this was written against."""
    from dvc.utils.serialize import _yaml

    current = getattr(_yaml, "parse_yaml_for_update", None)
    if isinstance(getattr(current, "__self__", None), _Rewriter):
        return True
    if not _compatible(_yaml):
        return False
    rewriter = _Rewriter(_yaml.parse_yaml_for_update, _yaml.parse_yaml, _yaml._dump)
    _yaml.parse_yaml_for_update = rewriter.parse_for_update
    _yaml._dump = rewriter.dump_data
    return True


SIGNATURES = {
    "parse_yaml_for_update": ["text", "path"],
    "parse_yaml": ["text", "path", "typ"],
    "_dump": ["data", "stream"],
}


def _compatible(module: Any) -> bool:
    for name, expected in SIGNATURES.items():
        try:
            parameters = list(inspect.signature(getattr(module, name, None)).parameters)
        except (TypeError, ValueError):
            return False
        if parameters != expected:
            return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """`dvc <argv>` with the faster lock-file rewrite installed."""
    install()
    from dvc.cli import main as dvc_main

    return dvc_main(list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
