"""Slurm through its own commands (sbatch, squeue, scancel, sinfo) and plain job scripts.

Why not a Python submission library (submitit): it pickles a Python callable per job, while a
stage is already a shell command (`dvc repro --single-item`); plain sbatch scripts can be read,
rerun by hand and given any site's options, and Slurm's own `--dependency=afterok` with
`--kill-on-invalid-dep=yes` orders the stages and cancels the jobs below a failed one instead of
leaving them pending forever."""

from __future__ import annotations

import getpass
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xstilts.errors import XstiltsError

# job states in which a job may still run (squeue's long names)
ACTIVE = frozenset({"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "RESIZING",
                    "SUSPENDED", "STOPPED", "REQUEUE_HOLD", "REQUEUE_FED", "SIGNALING",
                    "STAGE_OUT"})  # fmt: skip


@dataclass(frozen=True)
class Slurm:
    partition: str | None = None
    extra: tuple[str, ...] = field(default_factory=tuple)  # more sbatch options, as given

    def require(self) -> None:
        """sbatch on PATH and, when one is named, the partition known to the cluster."""
        if shutil.which("sbatch") is None:
            raise XstiltsError(
                "sbatch not found: this machine has no Slurm (xstilts grid submits with sbatch); "
                "on one machine run `xstilts repro` instead"
            )
        if self.partition is None:
            return
        listed = _run(["sinfo", "--noheader", "--format=%P"]).split()
        names = [name.rstrip("*") for name in listed]
        if self.partition not in names:
            raise XstiltsError(
                f"partition {self.partition!r} does not exist on this cluster "
                f"(sinfo lists: {', '.join(names) or 'none'})"
            )

    def submit(
        self, script: Path, name: str, log: str, options: Sequence[str], after: Sequence[str]
    ) -> str:
        """Submit `script`; its job id. `after`: job ids that must end successfully first (the
        job is cancelled if one of them fails); `log`: sbatch's `--output` pattern."""
        command = ["sbatch", "--parsable", f"--job-name={name}", f"--output={log}"]
        command += ["--kill-on-invalid-dep=yes"]
        if after:
            command.append("--dependency=afterok:" + ":".join(after))
        if self.partition:
            command.append(f"--partition={self.partition}")
        command += [*options, *self.extra, str(script)]
        return _run(command).strip().split(";")[0]

    def states(self, jobs: Sequence[str]) -> dict[str, str]:
        """Slurm's state of each job it still remembers (finished jobs are forgotten after a
        while: MinJobAge)."""
        if not jobs:
            return {}
        out = _run(["squeue", "--noheader", "--states=all", f"--user={getpass.getuser()}",
                    "--format=%i|%T"])  # fmt: skip
        wanted = set(jobs)
        rows = (line.split("|", 1) for line in out.splitlines() if "|" in line)
        return {job.strip(): state.strip() for job, state in rows if job.strip() in wanted}

    def cancel(self, jobs: Sequence[str]) -> None:
        if jobs:
            _run(["scancel", *jobs])


def _run(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise XstiltsError(f"{command[0]} not found: is Slurm installed on this machine?") from None
    if done.returncode:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise XstiltsError(f"{command[0]} failed: {message[-1] if message else done.returncode}")
    return done.stdout


def job_script(
    python: str, arguments: Sequence[str], setup: Sequence[str], launcher: Sequence[str]
) -> str:
    """A job's bash script: the site's setup lines, then `python -m xstilts.grid.job` (through
    `launcher`, e.g. a container runtime, if given)."""
    command = [*launcher, python, "-m", "xstilts.grid.job", *arguments]
    lines = ["#!/bin/bash", "set -euo pipefail", *setup, "exec " + shlex.join(command)]
    return "\n".join(lines) + "\n"
