"""What one grid job does, in a workspace of its own on the shared DVC cache.

Jobs cannot share the repository's workspace: two `dvc repro` in one workspace lock each
other's outputs, and a cluster's jobs run on several machines at once. So each job copies the
submission's source snapshot, points DVC at the repository's cache, writes a dvc.lock holding
the entries of the stages it reads (recorded by their jobs, or the repository's own for stages
that were up to date), checks their outputs out of the cache and runs `dvc repro --single-item`
on its stage. DVC commits the outputs to the cache only when the command succeeded, and the
stage's lock entry is recorded after that (atomically), so a failed or cancelled job leaves
nothing that a later job or the assembly would take for a result.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from xstilts import dvc_lockfile
from xstilts.errors import XstiltsError
from xstilts.grid.lockfile import read_entries, write_entries
from xstilts.grid.state import GridFolder, Submission
from xstilts.grid.status import done_line, failed_line
from xstilts.lanes import single_thread_defaults


def run_stage(grid: GridFolder, submission: Submission, name: str, job: str | None) -> int:
    """Run stage `name` in a fresh workspace and record its lock entry; the exit status. DVC
    runs in this process (the job's own), from the workspace, in `dvc_environment`."""
    began = time.monotonic()
    stage = submission.stage(name)
    workspace = grid.workspace(name)
    prepare_workspace(grid, submission, workspace)
    entries = input_entries(grid, submission, stage["after"])
    write_entries(workspace / "dvc.lock", entries)
    os.environ.update(dvc_environment(workspace))
    os.chdir(workspace)
    inputs = [*stage["after"], *stage["tracked"]]
    if inputs and _dvc(["checkout", *inputs]):
        print(f"xstilts grid: the inputs of {name} are not in the DVC cache", file=sys.stderr)
        print(failed_line(name, 1, workspace), file=sys.stderr)
        return 1
    status = _dvc(["repro", "--single-item", name])
    if status:
        print(failed_line(name, status, workspace), file=sys.stderr)
        return status
    entry = read_entries(workspace / "dvc.lock").get(name)
    if entry is None:
        raise XstiltsError(f"dvc repro left no dvc.lock entry for {name} in {workspace}")
    grid.record_done(name, entry, job)
    os.chdir(grid.root)
    shutil.rmtree(workspace, ignore_errors=True)
    print(done_line(name, time.monotonic() - began))
    return 0


def prepare_workspace(grid: GridFolder, submission: Submission, workspace: Path) -> None:
    """The snapshot's files, DVC pointed at the shared cache (no git: `core.no_scm`), and the
    grid's shared resume state as `state/`."""
    shutil.rmtree(workspace, ignore_errors=True)
    shutil.copytree(grid.snapshot(submission.snapshot), workspace, symlinks=True)
    config = ["[core]", "    no_scm = true", "[cache]", f"    dir = {submission.cache}"]
    if submission.cache_type:
        config.append(f"    type = {submission.cache_type}")
    (workspace / ".dvc" / "config.local").write_text("\n".join(config) + "\n", encoding="utf-8")
    grid.resume_state.mkdir(parents=True, exist_ok=True)
    (workspace / "state").symlink_to(grid.resume_state, target_is_directory=True)


def input_entries(
    grid: GridFolder, submission: Submission, after: list[str]
) -> dict[str, dict[str, Any]]:
    """The lock entries of the stages a stage reads: recorded by this grid's jobs, else those
    of the dvc.lock in the submission's snapshot (a stage that was up to date when the grid was
    submitted; the repository's own dvc.lock may have changed since)."""
    done = grid.done_entries()
    repository = read_entries(grid.snapshot(submission.snapshot) / "dvc.lock")
    entries = {}
    for name in after:
        entry = done.get(name) or repository.get(name)
        if entry is None:
            raise XstiltsError(f"{name} has no result yet: neither its job nor dvc.lock has one")
        entries[name] = entry
    return entries


def dvc_environment(workspace: Path) -> dict[str, str]:
    """The stage commands run this interpreter's `python` with the workspace's code (its `src/`
    first on the path), with as many torch threads as the job has CPUs (`--cpus-per-task`;
    sbatch hands the jobs the submitting shell's variables, thread counts included, which are
    not the job's), one outside Slurm unless set. On a CPU the bits of a trained model depend on
    the thread count: one CPU per job gives the outputs of `xstilts repro`, which runs every
    stage on one thread."""
    env = dict(os.environ)
    cpus = env.get("SLURM_CPUS_PER_TASK")
    if cpus:  # the CPUs of this job, not the thread count of the shell that submitted it
        env.update(OMP_NUM_THREADS=cpus, MKL_NUM_THREADS=cpus)
    env = single_thread_defaults(env)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(workspace / "src"), env.get("PYTHONPATH")])
    )
    env["DVC_NO_ANALYTICS"] = "1"
    return env


def _dvc(args: list[str]) -> int:
    """DVC's command line in this process (through `xstilts.dvc_lockfile`), its output in the
    job's log."""
    print("$ dvc " + " ".join(args), flush=True)
    return dvc_lockfile.main(args)
