"""The task registry.

Each module in this package declares one task with `register(TaskSpec(...))`; importing the
package imports them all, so adding a task is adding one file.
"""

from __future__ import annotations

import importlib
import pkgutil

from xstilts.errors import XstiltsError
from xstilts.tasks.spec import TaskSpec

_REGISTRY: dict[str, TaskSpec] = {}


def register(spec: TaskSpec) -> TaskSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"task '{spec.name}' is registered twice")
    _REGISTRY[spec.name] = spec
    return spec


def _load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.name != "spec":
            importlib.import_module(f"{__name__}.{module.name}")


def get_task(name: str) -> TaskSpec:
    if name not in _REGISTRY:
        raise XstiltsError(f"unknown task '{name}'; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def all_tasks() -> dict[str, TaskSpec]:
    return dict(sorted(_REGISTRY.items()))


def intermediate_task_names() -> tuple[str, ...]:
    return tuple(n for n, s in all_tasks().items() if s.role == "intermediate")


def target_task_names() -> tuple[str, ...]:
    return tuple(n for n, s in all_tasks().items() if s.role == "target")


_load_all()
