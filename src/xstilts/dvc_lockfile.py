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

DVC also parses `dvc.lock` twice a stage (to see what changed, then for the update), 0.35 s each
with the safe loader, in every stage's own process. The data of the last text written or read is
therefore kept as JSON beside the repository (`.dvc/tmp/xstilts-lock-parsed.json`, with the
text's SHA-256): a process that finds that very text reads the data back in milliseconds. It is
kept only when JSON gives back exactly the data, and after a rewrite only when each entry the
rewrite emitted parses back to its data; a text with another hash is parsed as before.

`xstilts repro` and `xstilts rehearse` run DVC as `python -m xstilts.dvc_lockfile <dvc args>`.
When DVC's serialization module no longer looks as this was written against, the command is plain
DVC. A plain `dvc` reads and writes the same file.
"""

from __future__ import annotations

import contextlib
import hashlib
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
PARSED_FILE = os.path.join(".dvc", "tmp", "xstilts-lock-parsed.json")  # beside the lock file
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
    """DVC's parse-for-update, safe parse and dump, faster for `dvc.lock` (see the module's
    docstring)."""

    def __init__(self, round_trip: Callable, parse: Callable, dump: Callable) -> None:
        self.round_trip, self.parse, self.dump = round_trip, parse, dump
        self.parsed: _ParsedLock | None = None
        self.path: Any = None  # of the lock file parsed for update

    def parse_yaml(self, text: str, path: Any, typ: str = "safe") -> Any:
        if typ != "safe" or not _is_lock(path):
            return self.parse(text, path, typ=typ)
        return self._load(text, path)

    def parse_for_update(self, text: str, path: Any) -> Any:
        if not _is_lock(path):
            return self.round_trip(text, path)
        data = self._load(text, path)
        entries = _entries(text, data) if isinstance(data, dict) else None
        self.parsed = None if entries is None else _ParsedLock(data, entries)
        self.path = path
        return data

    def dump_data(self, data: Any, stream: TextIO) -> Any:
        parsed, self.parsed = self.parsed, None
        if parsed is None or parsed.data is not data or list(data) != ["schema", "stages"]:
            return self.dump(data, stream)
        spliced = self._spliced(data, parsed.entries)
        if spliced is None:
            return self.dump(data, stream)
        text, checked = spliced
        stream.write(text)
        if checked:
            _store(self.path, text, data)
        return None

    def _load(self, text: str, path: Any) -> Any:
        """The safe loader's data of a lock file's text: kept from the process that last
        wrote or read this very text, else parsed (and kept)."""
        found = _stored(path, text)
        if found is not None:
            return found
        data = self.parse(text, path, typ="safe")
        _store(path, text, data)
        return data

    def _spliced(self, data: dict, entries: dict[str, tuple[str, str]]) -> tuple[str, bool] | None:
        """The rewritten text, and whether each entry emitted anew parses back to its data
        (then the data may be kept for the text)."""
        stages = data["stages"]
        if not isinstance(stages, dict) or not stages:
            return None
        parts = [self._dumped({"schema": data["schema"]}), STAGES_LINE]
        checked = True
        for name, value in stages.items():
            key = _key(value)
            if key is not None and name in entries and entries[name][0] == key:
                parts.append(entries[name][1])
                continue
            text = self._dumped({"stages": {name: value}})
            if not text.startswith(STAGES_LINE) or "&id" in text:
                return None
            checked = checked and self.parse(text, self.path, typ="safe") == {
                "stages": {name: value}
            }
            parts.append(text[len(STAGES_LINE) :])
        return "".join(parts), checked

    def _dumped(self, data: dict) -> str:
        out = io.StringIO()
        self.dump(data, out)
        return out.getvalue()


def _is_lock(path: Any) -> bool:
    return path is not None and os.path.basename(os.fspath(path)) == LOCK_FILE


def _parsed_file(path: Any) -> str | None:
    """Where the data of the lock file at `path` is kept: its repository's `.dvc/tmp/`."""
    folder = os.path.join(os.path.dirname(os.fspath(path)), os.path.dirname(PARSED_FILE))
    return os.path.join(folder, os.path.basename(PARSED_FILE)) if os.path.isdir(folder) else None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stored(path: Any, text: str) -> Any:
    """The data kept for exactly `text`, or None."""
    where = _parsed_file(path)
    if where is None:
        return None
    try:
        with open(where, encoding="utf-8") as kept:
            record = json.load(kept)
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("sha256") != _digest(text):
        return None
    return record.get("data")


def _store(path: Any, text: str, data: Any) -> None:
    """Keep `data` as the data of `text`, when JSON gives it back exactly (written to a
    temporary file and moved in place, so a reader sees the old record or the new one)."""
    where = _parsed_file(path)
    if where is None:
        return
    try:
        encoded = json.dumps({"sha256": _digest(text), "data": data}, allow_nan=False)
    except (TypeError, ValueError):
        return
    if json.loads(encoded)["data"] != data:
        return
    temporary = f"{where}.{os.getpid()}"
    try:
        with open(temporary, "w", encoding="utf-8") as out:
            out.write(encoded)
        os.replace(temporary, where)
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(temporary)


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
    # the safe parse, wherever DVC's modules hold it: `_yaml` itself (load_yaml), the package
    # that re-exports it, and modules that imported it by name (strictyaml, which loads the
    # lock file to see what changed)
    _yaml.parse_yaml = rewriter.parse_yaml
    for name in ("dvc.utils.serialize", "dvc.utils.strictyaml"):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "parse_yaml"):
            module.parse_yaml = rewriter.parse_yaml
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
