"""The stage graph DVC already knows, read through DVC's own index (dvc.yaml's `matrix`
expanded, edges from output paths to dependency paths)."""

from __future__ import annotations

import heapq
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class GridStage:
    """One pipeline stage of dvc.yaml, by its DVC address (`evaluate@multi-xnli-0`)."""

    name: str
    after: tuple[str, ...]  # the pipeline stages whose outputs it reads
    tracked: tuple[str, ...]  # the `.dvc` files whose data it reads (`data.dvc`)


def read_graph(repo: Path) -> list[GridStage]:
    """Every pipeline stage of `repo`, each after the stages it reads (dvc.yaml's order where
    the graph leaves a choice)."""
    from dvc.repo import Repo

    root = Path(repo).resolve()
    with Repo(str(root)) as dvc:
        index = dvc.index
        graph = index.graph  # DVC's edges point from a stage to the stages it reads
        position = {stage: i for i, stage in enumerate(index.stages)}
        stages = []
        ordered = _dependencies_first(graph, position)
        for stage in ordered:
            if not _is_pipeline(stage):
                continue
            reads = list(graph.successors(stage))
            stages.append(
                GridStage(
                    name=address(stage, root),
                    after=tuple(
                        address(s, root) for s in _in_order(reads, position) if _is_pipeline(s)
                    ),
                    tracked=tuple(
                        address(s, root) for s in _in_order(reads, position) if not _is_pipeline(s)
                    ),
                )
            )
    return stages


def address(stage: Any, root: Path) -> str:
    """A stage's DVC address from the repository's root (DVC's `addressing` is relative to the
    current directory): `name` for the root dvc.yaml's, `sub/dvc.yaml:name` for another's,
    `data.dvc` for a `.dvc` file."""
    path = os.path.relpath(stage.path, root)
    if not _is_pipeline(stage):
        return path
    return stage.name if path == "dvc.yaml" else f"{path}:{stage.name}"


def _is_pipeline(stage: object) -> bool:
    """A dvc.yaml stage, not a `.dvc` file (DVC models those as stages too)."""
    from dvc.stage import PipelineStage

    return isinstance(stage, PipelineStage)


def _dependencies_first(graph: Any, position: dict) -> list:
    """Kahn's order of the graph, the earliest stage of dvc.yaml first among the ready ones."""
    waiting = {stage: len(list(graph.successors(stage))) for stage in graph}
    readers: dict = {stage: [] for stage in graph}
    for stage in graph:
        for read in graph.successors(stage):
            readers[read].append(stage)
    ready = [(position[s], i, s) for i, s in enumerate(graph) if not waiting[s]]
    heapq.heapify(ready)
    ordered = []
    while ready:
        *_, stage = heapq.heappop(ready)
        ordered.append(stage)
        for reader in readers[stage]:
            waiting[reader] -= 1
            if not waiting[reader]:
                heapq.heappush(ready, (position[reader], len(ordered), reader))
    return ordered


def _in_order(stages: list, position: dict) -> list:
    return sorted(stages, key=position.__getitem__)


def downstream(stages: list[GridStage], roots: set[str]) -> set[str]:
    """`roots` and every stage that reads one of them, directly or not."""
    out = set(roots)
    for stage in stages:  # dependencies first, so one pass suffices
        if out.intersection(stage.after):
            out.add(stage.name)
    return out


def critical_first(stages: list[GridStage], seconds: dict[str, float]) -> list[GridStage]:
    """`stages` in an order that still has dependencies first, but among the stages whose
    inputs are all earlier, the one heading the longest remaining path (its own `seconds` plus
    its slowest chain of readers) first: submitted in this order, the jobs a scheduler starts
    first are those the grid's end waits on longest (the lanes of `xstilts repro` pick the
    same way)."""
    readers: dict[str, list[str]] = {stage.name: [] for stage in stages}
    for stage in stages:
        for name in stage.after:
            readers[name].append(stage.name)
    path: dict[str, float] = {}
    for stage in reversed(stages):  # readers come later in `stages`
        below = max((path[r] for r in readers[stage.name]), default=0.0)
        path[stage.name] = seconds.get(stage.name, 0.0) + below
    by_name = {stage.name: stage for stage in stages}
    waiting = {stage.name: len(stage.after) for stage in stages}
    ready = [(-path[s.name], i, s.name) for i, s in enumerate(stages) if not s.after]
    heapq.heapify(ready)
    ordered = []
    while ready:
        *_, name = heapq.heappop(ready)
        ordered.append(by_name[name])
        for reader in readers[name]:
            waiting[reader] -= 1
            if not waiting[reader]:
                heapq.heappush(ready, (-path[reader], len(ordered), reader))
    return ordered
