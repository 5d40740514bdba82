"""`dvc repro` with the independent stages of the graph run side by side (`xstilts repro`).

`dvc repro` runs one stage at a time. On a CPU that leaves cores idle: a stage of the sample profile
computes for a few seconds on a model too small to use two threads well. Below the report the graph
falls apart into chains of stages that run one after the other: prepare, base, lexicons and the
retrieval sets on their own; each target's perturb stages (after the first three); each
condition's intermediate stages (after prepare and base); each (condition, target) pair's target
and evaluate stages (after the condition's intermediate chain and the target's perturb chain);
each condition's retrieve stages (after its intermediate chain, the retrieval sets and the
lexicons). `run_lanes` hands the chains to `jobs` workers, each as soon as every chain it reads is
done, the one with the most work behind it first (its own and that of every chain that waits on
it, costed by `xstilts plan`); each is one `dvc repro --single-item` over its stages in pipeline
order. DVC releases its repository lock while a stage's command runs and writes dvc.lock under it,
so the workers share one workspace; single-item runs never visit a stage another worker may be
writing (two plain `dvc repro` in one workspace fail: DVC locks a stage's outputs before it checks
whether the stage changed). A final plain `dvc repro` runs what is left (the report) and would
rerun anything a worker missed. The stage commands fork from one interpreter that has imported
torch and transformers once (`xstilts.forkserver`), which takes ~4 s off each of the ~90 stage
processes and changes no output (the committed dvc.lock's outputs are the same with and without
it).

Every stage process gets one thread (OMP_NUM_THREADS=1 and MKL_NUM_THREADS=1, unless set), with
one job (a plain `dvc repro`) too: on a CPU the bits of a trained model depend on the thread
count (reductions split differently), so one thread per stage makes `xstilts repro` give the
same outputs for any number of jobs on any number of cores of one CPU kind; the committed
dvc.lock was made this way. On a machine with a CUDA GPU the default is one job, a plain
`dvc repro`: a stage of the full profile fills a GPU.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from xstilts import dvc_lockfile, forkserver
from xstilts.config import RSDA, Params
from xstilts.plan import Run, plan_runs

MAX_DEFAULT_JOBS = 8
STAGE_SECONDS = 2.0  # a stage's fixed cost (forking, DVC's bookkeeping)


@dataclass(frozen=True)
class Chain:
    """Stages that run one after the other in one `dvc repro --single-item`."""

    name: str
    stages: tuple[str, ...]
    after: tuple[str, ...]  # the chains whose outputs these stages read
    cost: float  # estimated seconds: the plan's compute plus STAGE_SECONDS a stage


def chains(params: Params, runs: Sequence[Run] | None = None) -> list[Chain]:
    """Every stage of the graph but the report, in chains with the chains they read."""
    runs = plan_runs(params) if runs is None else runs
    seeds = params.seeds

    def cost(stage: str, condition: str, task: str | None = None) -> float:
        hours = [
            r.gpu_hours
            for r in runs
            if r.stage == stage and r.condition == condition and (task is None or _task(r) == task)
        ]
        return 3600 * sum(hours) + STAGE_SECONDS * len(seeds)

    out = [
        Chain(name, (name,), (), STAGE_SECONDS)
        for name in ("prepare", "base", "lexicons", "neighbours")
    ]
    for task in params.targets:
        stages = tuple(f"perturb@{task}-{seed}" for seed in seeds)
        out.append(Chain(f"perturb/{task}", stages, ("prepare", "base", "lexicons"), STAGE_SECONDS))
    out.append(Chain("augment", ("augment",), ("prepare", "neighbours"), STAGE_SECONDS))
    for condition in params.conditions:
        stages = tuple(f"intermediate@{condition}-{seed}" for seed in seeds)
        out.append(Chain(condition, stages, ("prepare", "base"), cost("intermediate", condition)))
    for condition in params.conditions:
        for task in params.targets:
            stages = tuple(
                f"{stage}@{condition}-{task}-{seed}"
                for seed in seeds
                for stage in ("target", "evaluate")
            )
            total = cost("target", condition, task) + cost("evaluate", condition, task)
            after = (condition, f"perturb/{task}")
            out.append(Chain(f"{condition}/{task}", stages, after, total))
    out.append(Chain("retrieval_sets", ("retrieval_sets",), (), STAGE_SECONDS))
    for condition in params.conditions:
        stages = tuple(f"retrieve@{condition}-{seed}" for seed in seeds)
        after = (condition, "retrieval_sets", "lexicons")
        out.append(Chain(f"{condition}/retrieval", stages, after, cost("retrieve", condition)))
    for condition in params.rsda.conditions:
        robust = f"{condition}{RSDA}"
        for task in params.rsda.tasks:
            stages = tuple(
                f"{stage}@{condition}-{task}-{seed}"
                for seed in seeds
                for stage in ("target_rsda", "evaluate_rsda")
            )
            total = cost("target", robust, task) + cost("evaluate", robust, task)
            after = (condition, f"perturb/{task}", "augment")
            out.append(Chain(f"{robust}/{task}", stages, after, total))
    return out


def work_behind(todo: Sequence[Chain]) -> dict[str, float]:
    """Each chain's cost plus that of every chain that waits on it, directly or not."""
    waiting_on: dict[str, list[str]] = {c.name: [] for c in todo}
    for chain in todo:
        for name in chain.after:
            waiting_on[name].append(chain.name)
    costs = {c.name: c.cost for c in todo}

    def below(name: str, seen: set[str]) -> None:
        for child in waiting_on[name]:
            if child not in seen:
                seen.add(child)
                below(child, seen)

    behind = {}
    for chain in todo:
        seen: set[str] = set()
        below(chain.name, seen)
        behind[chain.name] = chain.cost + sum(costs[name] for name in seen)
    return behind


def _task(run: Run) -> str:
    """The target task of a plan row (`xcopa<-siqa` for a target trained in steps)."""
    return run.task.split("<-")[0]


def default_jobs() -> int:
    """One job per core on a CPU-only machine (at most `MAX_DEFAULT_JOBS`, each stage process
    holds a model and its data in memory), one with a CUDA GPU."""
    import torch

    return 1 if torch.cuda.is_available() else min(os.cpu_count() or 1, MAX_DEFAULT_JOBS)


def single_thread_defaults(env: dict[str, str]) -> dict[str, str]:
    """`env` with one thread per stage process unless set (see above)."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    return env


def run_lanes(
    params: Params,
    jobs: int,
    dvc: Sequence[str] | None = None,
    echo: Callable[[str], None] = print,
    fork_server: bool = True,
) -> int:
    """The chains on `jobs` workers, then a plain `dvc repro` (one job: only that); returns the
    exit status (a failing chain stops the start of new ones and its output is shown whole).
    With `fork_server`, the stage commands fork from one interpreter that has imported their
    libraries (`xstilts.forkserver`) instead of each starting its own. `dvc` is the command that
    runs DVC: by default DVC through `xstilts.dvc_lockfile`, which parses dvc.lock faster."""
    dvc = dvc_lockfile.command([]) if dvc is None else dvc
    env = single_thread_defaults(dict(os.environ))
    server = forkserver.started(env, echo) if fork_server else contextlib.nullcontext()
    with server:
        if jobs == 1:
            return _dvc(dvc, ["repro"], env, echo)
        started = time.monotonic()
        repro = [*dvc, "--wait-for-lock", "repro", "--single-item"]
        status = _run_chains(chains(params), jobs, repro, env, echo)
        if status:
            return status
        if _dvc(dvc, ["repro"], env, echo):
            return 1
    echo(f"xstilts repro: done in {time.monotonic() - started:.0f} s with {jobs} job(s)")
    return 0


def _run_chains(
    todo: list[Chain], jobs: int, repro: list[str], env: dict[str, str], echo: Callable[[str], None]
) -> int:
    done: set[str] = set()
    behind = work_behind(todo)
    waiting = sorted(todo, key=lambda c: -behind[c.name])
    running: dict[Future, Chain] = {}
    failed = False
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        while waiting or running:
            ready = [c for c in waiting if done.issuperset(c.after)]
            while ready and len(running) < jobs and not failed:
                chain = ready.pop(0)
                waiting.remove(chain)
                running[pool.submit(_timed, [*repro, *chain.stages], env)] = chain
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                chain = running.pop(future)
                code, output, seconds = future.result()
                if code:
                    failed = True
                    echo(output.rstrip())
                    echo(f"xstilts repro: {chain.name} failed (exit status {code})")
                else:
                    done.add(chain.name)
                    echo(
                        f"  {chain.name}: {len(chain.stages)} stage(s) up to date ({seconds:.0f} s)"
                    )
    return 1 if failed else 0


def _timed(command: list[str], env: dict[str, str]) -> tuple[int, str, float]:
    start = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr, time.monotonic() - start


def _dvc(
    dvc: Sequence[str], args: list[str], env: dict[str, str], echo: Callable[[str], None]
) -> int:
    """Run `dvc <args>` through the `dvc` command with its output shown as it comes."""
    echo("$ dvc " + " ".join(args))
    return subprocess.run(
        [*dvc, *args], env=env, check=False, stdout=sys.stdout, stderr=sys.stderr
    ).returncode
