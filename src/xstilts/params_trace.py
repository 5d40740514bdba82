"""Which params a run reads, key by key: the check that dvc.yaml's `params` lists miss nothing.

With `XSTILTS_PARAMS_TRACE=<folder>` set, `load_params` in a stage's process (DVC sets
`DVC_STAGE` to the stage's name) hands out a view of the validated `Params` that notes every key
read through it, and at exit the process writes the keys to `<folder>/<stage>.<pid>.json`.
Processes outside a stage (`xstilts repro`, which starts the stages, or `xstilts plan`) are not
traced: no stage's params are theirs to check.
tests/test_e2e.py runs the pipeline so and compares each stage's keys with those dvc.lock
records for it.

What counts as reading a key:
- a field's value (`params.robustness.alpha`), down to the leaf where the value is a section;
- a mapping's entry (`params.conditions["multi"]` reads `conditions.multi`); its entries read
  through `.items()`, `.values()` or `.get()` count one by one;
- a whole section or mapping, when pydantic's own methods read it (`model_dump()` and the like).
Asking whether a name is there (`in`, or a mapping's keys alone) is not reading a value: the
names of conditions, targets and seeds are dvc.yaml's matrix, so changing them changes which
stages exist rather than what one computes. The sections' own methods and properties run on the
view itself, so they note exactly what they read.
"""

from __future__ import annotations

import atexit
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

TRACE_ENV = "XSTILTS_PARAMS_TRACE"
STAGE_ENV = "DVC_STAGE"  # set by DVC for a stage's command


class Trace:
    """The dotted keys one stage has read so far."""

    def __init__(self, stage: str = "stage") -> None:
        self.stage = stage
        self.keys: set[str] = set()

    def read(self, key: str) -> None:
        self.keys.add(key or "*")

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.stage.replace('/', '_')}.{os.getpid()}.json"
        path.write_text(json.dumps(sorted(self.keys), indent=1) + "\n", encoding="utf-8")
        return path


def traced_if_asked(params: BaseModel) -> BaseModel:
    """`params` itself, or its tracing view when `XSTILTS_PARAMS_TRACE` names a folder and
    the process runs a DVC stage."""
    folder = os.environ.get(TRACE_ENV, "").strip()
    stage = os.environ.get(STAGE_ENV, "")
    if not folder or not stage:
        return params
    trace = Trace(stage)
    atexit.register(trace.write, Path(folder))
    return view(params, "", trace)  # type: ignore[return-value]


def view(value: Any, path: str, trace: Trace) -> Any:
    """`value` as seen through the trace: sections (pydantic models, and the sample world's
    dataclass), mappings and tuples are wrapped (what is read inside them is noted key by key),
    any other value is noted as read and returned."""
    if isinstance(value, BaseModel) or (is_dataclass(value) and not isinstance(value, type)):
        return SectionView(value, path, trace)
    if isinstance(value, Mapping):
        return MappingView(value, path, trace)
    if isinstance(value, tuple):
        return TupleView(value, path, trace)
    trace.read(path)
    return value


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _own_attribute(model: type, name: str) -> Any:
    """The attribute `name` as the project's own section classes define it, or None when it
    comes from pydantic or `object`."""
    for klass in model.__mro__:
        if name in vars(klass):
            module = klass.__module__
            own = klass is not BaseModel and not module.startswith(("pydantic", "builtins"))
            return vars(klass)[name] if own else None
    return None


def _field_names(section: Any) -> set[str]:
    if isinstance(section, BaseModel):
        return set(type(section).model_fields)
    return {f.name for f in fields(section)}


class SectionView:
    """A validated section, noting what is read from it. (Code that needs the real object, such
    as `dataclasses.asdict`, does not take the view: no stage does that with its params.)"""

    __slots__ = ("_path", "_trace", "_value")

    def __init__(self, value: BaseModel, path: str, trace: Trace) -> None:
        object.__setattr__(self, "_value", value)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_trace", trace)

    @property  # isinstance() and dataclass-style checks see the section's own class
    def __class__(self) -> type:  # type: ignore[override]
        return type(self._value)

    def __getattr__(self, name: str) -> Any:
        model = type(self._value)
        if name in _field_names(self._value):
            return view(getattr(self._value, name), _join(self._path, name), self._trace)
        own = _own_attribute(model, name)
        if isinstance(own, property):
            return own.fget(self)
        if callable(own) and not isinstance(own, (staticmethod, classmethod)):
            return own.__get__(self, model)
        self._trace.read(self._path)  # pydantic's methods (model_dump, ...) read everything
        return getattr(self._value, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("params are read-only")

    def __repr__(self) -> str:
        return repr(self._value)


class MappingView(Mapping):
    """A mapping of params (conditions, overrides, attacks, ...), entry by entry."""

    def __init__(self, value: Mapping, path: str, trace: Trace) -> None:
        self._value, self._path, self._trace = value, path, trace

    def __getitem__(self, key: Any) -> Any:
        return view(self._value[key], _join(self._path, key), self._trace)

    def get(self, key: Any, default: Any = None) -> Any:
        if key in self._value:
            return self[key]
        self._trace.read(_join(self._path, key))  # absent now: its presence is read
        return default

    def __iter__(self) -> Iterator:
        return iter(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __contains__(self, key: object) -> bool:
        return key in self._value

    def __eq__(self, other: object) -> bool:
        self._trace.read(self._path)
        return self._value == (other._value if isinstance(other, MappingView) else other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._value)


class TupleView(tuple):
    """A tuple of params: a real tuple (so it passes for one everywhere), noted as read when it
    is iterated, indexed, compared or counted; `in` alone is not a read."""

    def __new__(cls, value: tuple, path: str, trace: Trace) -> TupleView:
        made = super().__new__(cls, value)
        made._path, made._trace = path, trace
        return made

    def _read(self) -> None:
        self._trace.read(self._path)

    def __iter__(self) -> Iterator:
        self._read()
        return super().__iter__()

    def __getitem__(self, index: Any) -> Any:
        self._read()
        return super().__getitem__(index)

    def __len__(self) -> int:
        self._read()
        return super().__len__()

    def __eq__(self, other: object) -> bool:
        self._read()
        return tuple(self) == other

    __hash__ = tuple.__hash__
