"""What each job asks Slurm for: a stage that `xstilts plan` costs in GPU-hours (training,
evaluation, retrieval) gets GPUs and a time limit from its estimate; the others (data
preparation, lexicons, perturbation, the report) run on CPUs with a fixed limit."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from xstilts.config import Params, intermediate_condition, is_rsda
from xstilts.plan import Run, plan_runs


@dataclass(frozen=True)
class ResourcePolicy:
    """How plan estimates become requests (`xstilts grid submit`'s options)."""

    gpus: int = 1  # per GPU stage; 0 on a cluster (or a test) without GPUs
    cpus: int = 8  # per job: tokenization, data loading and the CPU stages' own work
    mem: str = "64G"  # per job, in sbatch's notation
    time_factor: float = 2.0  # the limit is the plan's estimate times this ...
    min_minutes: int = 60  # ... and at least this
    cpu_minutes: int = 240  # the limit of a stage without a GPU estimate


@dataclass(frozen=True)
class Resources:
    gpus: int
    cpus: int
    mem: str
    minutes: int

    def sbatch_options(self) -> list[str]:
        options = [f"--cpus-per-task={self.cpus}", f"--mem={self.mem}", f"--time={self.minutes}"]
        return options + ([f"--gres=gpu:{self.gpus}"] if self.gpus else [])


def stage_name(run: Run) -> str | None:
    """The dvc.yaml stage a plan row belongs to (None for rows of no GPU stage)."""
    kind, condition, task = run.stage, run.condition, run.task.split("<-")[0]
    if kind in ("intermediate", "retrieve"):
        return f"{kind}@{condition}-{run.seed}"
    if kind not in ("target", "evaluate"):
        return None
    if is_rsda(condition):
        kind, condition = f"{kind}_rsda", intermediate_condition(condition)
    return f"{kind}@{condition}-{task}-{run.seed}"


def stage_hours(params: Params, runs: list[Run] | None = None) -> dict[str, float]:
    """GPU-hours per stage (a target trained in steps sums its rows)."""
    hours: dict[str, float] = defaultdict(float)
    for run in plan_runs(params) if runs is None else runs:
        if (name := stage_name(run)) is not None:
            hours[name] += run.gpu_hours
    return dict(hours)


def stage_resources(
    names: list[str], hours: dict[str, float], policy: ResourcePolicy
) -> dict[str, Resources]:
    """Each stage's request: a planned stage gets `policy.gpus` and its estimate's limit."""
    out = {}
    for name in names:
        if name in hours:
            minutes = max(policy.min_minutes, math.ceil(60 * hours[name] * policy.time_factor))
            out[name] = Resources(policy.gpus, policy.cpus, policy.mem, minutes)
        else:
            out[name] = Resources(0, policy.cpus, policy.mem, policy.cpu_minutes)
    return out
