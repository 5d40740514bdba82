"""`xstilts grid submit | status | assemble | cancel`: the stages that are not up to date as
Slurm jobs, and what became of them.

What is submitted: every stage that `dvc status` finds changed in the repository (after the
results of earlier grid jobs were merged in, and every output the DVC cache holds was checked
out), and every stage that reads one of them, directly or not. A stage whose job is still
pending or running is left to that job (its readers wait on it), unless the code or params
changed since that job was submitted (then it is cancelled and its stage submitted again); a
stage whose outputs the
repository or its cache already has is skipped. A submission ends with one more job, after all
the others, that assembles dvc.lock and the outputs.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from xstilts.config import Params
from xstilts.errors import XstiltsError
from xstilts.grid.assemble import assemble, changed_stages, restore_cached
from xstilts.grid.graph import GridStage, critical_first, downstream, read_graph
from xstilts.grid.resources import ResourcePolicy, Resources, stage_hours, stage_resources
from xstilts.grid.slurm import ACTIVE, Slurm, job_script
from xstilts.grid.state import (
    ASSEMBLY,
    FOLDER,
    GridFolder,
    Submission,
    source_digest,
    take_snapshot,
)
from xstilts.plan import plan_runs

# the last job merges YAML and checks files out: one CPU, a little memory
ASSEMBLY_RESOURCES = Resources(gpus=0, cpus=1, mem="4G", minutes=240)
JOB_SECONDS = 5.0  # a job's fixed cost (a workspace, DVC's bookkeeping), for the order of jobs


@dataclass(frozen=True)
class GridOptions:
    folder: Path = FOLDER
    slurm: Slurm = field(default_factory=Slurm)
    policy: ResourcePolicy = field(default_factory=ResourcePolicy)
    setup: tuple[str, ...] = ()  # lines each job script runs first (modules, a venv)
    launcher: tuple[str, ...] = ()  # a command prefix for the job (a container runtime)
    python: str = sys.executable


@dataclass(frozen=True)
class Decision:
    """What a submission runs, leaves to running jobs, and skips."""

    stages: list[GridStage]
    todo: list[GridStage]
    active: dict[str, str]  # stage -> job id of an earlier submission, pending or running
    skipped: list[str]
    resources: dict[str, Resources]
    waiting_assembly: str | None = None  # the earlier submission's last job, not yet run
    stale: list[str] = field(default_factory=list)  # jobs of an earlier submission's code


def decide(
    repo: Path, params: Params, grid: GridFolder, options: GridOptions, source: str | None
) -> Decision:
    """The stages to submit (see the module's docstring); `source`: the digest of the
    repository's files now (`source_digest`), None for a dry run, which changes nothing: it
    counts recorded but unmerged results as up to date and asks Slurm nothing."""
    dry_run = source is None
    previous = grid.read() if grid.record.is_file() else None
    active: dict[str, str] = {}
    stale: list[str] = []
    waiting_assembly = None
    if previous and not dry_run:
        states = options.slurm.states([*previous.jobs.values(), previous.assemble_job or ""])
        active = {s: job for s, job in previous.jobs.items() if states.get(job) in ACTIVE}
        if states.get(previous.assemble_job or "") in ACTIVE:
            waiting_assembly = previous.assemble_job
        if active and previous.source != source:
            stale, active = list(active.values()), {}  # they would run the old code or params
    if not dry_run:
        order = [stage["name"] for stage in previous.stages] if previous else []
        result = assemble(grid, repo, order, status=False)
        if not result.checked_out:
            raise XstiltsError("the recorded results could not be checked out (see above)")
        restore_cached(repo)
    stages = read_graph(repo)
    changed = changed_stages(repo)
    _require_tracked_inputs(stages, changed)
    if dry_run:
        changed -= set(grid.done_entries())
    names = {stage.name for stage in stages}
    rerun = downstream(stages, (changed & names) | set(active)) - set(active)
    hours = stage_hours(params, plan_runs(params, repo / params.data.root))
    seconds = {name: JOB_SECONDS + 3600 * hours.get(name, 0.0) for name in names}
    todo = [stage for stage in critical_first(stages, seconds) if stage.name in rerun]
    skipped = [s.name for s in stages if s.name not in rerun and s.name not in active]
    resources = stage_resources([s.name for s in stages], hours, options.policy)
    return Decision(stages, todo, active, skipped, resources, waiting_assembly, stale)


def _require_tracked_inputs(stages: list[GridStage], changed: set[str]) -> None:
    """The `.dvc`-tracked inputs (the sample world) must be in the workspace: the jobs check
    them out of the shared cache."""
    tracked = sorted({t for stage in stages for t in stage.tracked} & changed)
    if tracked:
        raise XstiltsError(
            f"{', '.join(tracked)}: not in the workspace and the DVC cache, where the jobs read "
            f"it; run `dvc pull {' '.join(tracked)}` first"
        )


def submit(repo: Path, params: Params, options: GridOptions, dry_run: bool = False) -> str:
    """Submit the grid (or, with `dry_run`, describe it); a summary."""
    repo = repo.resolve()
    if not dry_run:
        options.slurm.require()
    grid = GridFolder(repo / options.folder)
    if dry_run:
        return describe(decide(repo, params, grid, options, None))
    dvc = _repository_dvc(repo)
    source = source_digest(repo, dvc.skip)
    decision = decide(repo, params, grid, options, source)
    if not decision.todo:
        return _summary(decision, None)
    if decision.stale:  # their stages are submitted again below, with the code as it is now
        options.slurm.cancel(decision.stale)
    grid.clear_done([stage.name for stage in decision.todo])
    submission = _submission(repo, grid, decision, options, dvc, source)
    grid.write(submission)
    submitted: list[str] = []
    try:
        for stage in decision.todo:
            after = [submission.jobs[name] for name in stage.after if name in submission.jobs]
            job = _submit_job(grid, options, stage.name, ["--grid", str(grid.root), stage.name],
                              decision.resources[stage.name].sbatch_options(), after)  # fmt: skip
            submission.jobs[stage.name] = job
            submitted.append(job)
        submission.assemble_job = _submit_job(
            grid, options, ASSEMBLY, ["--grid", str(grid.root), "--assemble"],
            ASSEMBLY_RESOURCES.sbatch_options(), list(submission.jobs.values()),
        )  # fmt: skip
    except BaseException:  # interrupted too: nothing left pending that the records do not list
        with contextlib.suppress(XstiltsError):
            options.slurm.cancel(submitted)
        submission.jobs = dict(decision.active)
        grid.write(submission)
        raise
    grid.write(submission)
    if decision.waiting_assembly:  # the new last job waits for every job, old ones included
        with contextlib.suppress(XstiltsError):
            options.slurm.cancel([decision.waiting_assembly])
    return _summary(decision, submission)


def _submission(
    repo: Path,
    grid: GridFolder,
    decision: Decision,
    options: GridOptions,
    dvc: RepositoryDvc,
    source: str,
) -> Submission:
    return Submission(
        repo=str(repo),
        cache=dvc.cache,
        cache_type=dvc.cache_type,
        snapshot=take_snapshot(grid, repo, dvc.skip),
        python=options.python,
        stages=[
            {
                "name": s.name,
                "after": list(s.after),
                "tracked": list(s.tracked),
                "resources": decision.resources[s.name].sbatch_options(),
            }
            for s in decision.stages
        ],
        jobs=dict(decision.active),
        skipped=decision.skipped,
        source=source,
    )


@dataclass(frozen=True)
class RepositoryDvc:
    """The repository's DVC cache folder and cache.type, and what the snapshot leaves out:
    `.dvc`-tracked data (checked out from the cache instead) and a local remote inside it."""

    cache: str
    cache_type: str | None
    skip: tuple[str, ...]


def _repository_dvc(repo: Path) -> RepositoryDvc:
    """Read once per submission (opening DVC's repository takes a second or two)."""
    from dvc.repo import Repo

    with Repo(str(repo)) as dvc:
        cache = Path(dvc.cache.local.path).parents[1]  # <cache dir>/files/md5
        cache_type = dvc.config["cache"].get("type")
        skip = [
            os.path.relpath(out.fs_path, repo)
            for stage in dvc.index.stages
            if stage.is_data_source
            for out in stage.outs
        ]
        for remote in dvc.config["remote"].values():
            if "://" in remote.get("url", "://"):
                continue  # not a local folder
            url = Path(repo / ".dvc" / remote["url"]).resolve()
            if url.is_relative_to(repo) and url != repo:
                skip.append(os.path.relpath(url, repo))
    if isinstance(cache_type, list):
        cache_type = ",".join(cache_type)
    return RepositoryDvc(str(cache), cache_type, tuple(skip))


def _submit_job(
    grid: GridFolder, options: GridOptions, name: str, arguments: list[str],
    resources: list[str], after: list[str],
) -> str:  # fmt: skip
    script = grid.script(name)
    script.parent.mkdir(parents=True, exist_ok=True)
    (grid.root / "logs").mkdir(parents=True, exist_ok=True)
    text = job_script(options.python, arguments, options.setup, options.launcher)
    script.write_text(text, encoding="utf-8")
    return options.slurm.submit(script, f"xstilts:{name}", grid.log_pattern(name), resources, after)


def describe(decision: Decision) -> str:
    """The dry run's list: one line per job."""
    lines = []
    jobs = {s.name for s in decision.todo} | set(decision.active)
    for stage in decision.todo:
        r = decision.resources[stage.name]
        waits = [n for n in stage.after if n in jobs]
        lines.append(
            f"{stage.name}  gpus={r.gpus} cpus={r.cpus} mem={r.mem} time={r.minutes}min"
            + (f"  after: {', '.join(waits)}" if waits else "")
        )
    if decision.todo:
        lines.append("assemble  after: every job above")
    lines.append(_counts(decision))
    return "\n".join(lines)


def _counts(decision: Decision) -> str:
    return (
        f"{len(decision.todo)} stage job(s) to submit, {len(decision.active)} left to running "
        f"jobs, {len(decision.skipped)} up to date (skipped)"
    )


def _summary(decision: Decision, submission: Submission | None) -> str:
    if submission is None:
        return _counts(decision) + ": nothing to submit"
    return (
        f"{_counts(decision)}; submitted {len(decision.todo) + 1} job(s), the last "
        f"({submission.assemble_job}) assembles dvc.lock; `xstilts grid status` follows them"
    )
