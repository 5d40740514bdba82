"""`xstilts grid status`: what the last submission's jobs did, and what is left."""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

from xstilts.errors import XstiltsError
from xstilts.grid.slurm import ACTIVE, Slurm
from xstilts.grid.state import ASSEMBLY, GridFolder

DONE = "done"
NO_RECORD = "ended without a result"
NEVER_STARTED = "never started"
# the last line of a stage job that succeeded (its log's end)
JOB_DONE = re.compile(r"^xstilts grid: stage (\S+) done in (\d+) s$", re.MULTILINE)
JOB_FAILED = re.compile(r"^xstilts grid: stage (\S+) failed", re.MULTILINE)
MERGED = "merged into dvc.lock"  # the end of the assembly job's closing line


def job_states(grid: GridFolder, slurm: Slurm) -> dict[str, str]:
    """Each submitted stage's state: done (its result is recorded, or its log ends with the
    job's closing line), Slurm's state while it remembers the job (pending, running, failed,
    cancelled, timeout ...), else that it ended without a result."""
    submission = grid.read()
    jobs = dict(submission.jobs)
    if submission.assemble_job:
        jobs[ASSEMBLY] = submission.assemble_job
    slurm_states = slurm.states(list(jobs.values()))
    done = set(grid.done_entries())
    states = {}
    for stage, job in jobs.items():
        state = slurm_states.get(job, "")
        log = grid.log(stage, job)
        if stage in done or state == "COMPLETED" or _log_says_done(log, stage):
            states[stage] = DONE
        else:
            states[stage] = state.lower() if state else _how_it_ended(log)
    return states


def _how_it_ended(log: Path) -> str:
    """What a job Slurm has forgotten left in its log: no log, it never started (cancelled
    while pending, e.g. below a failed job); Slurm's own cancellation line; the job's line
    saying its stage failed."""
    if not log.is_file():
        return NEVER_STARTED
    text = log.read_text(encoding="utf-8", errors="replace")
    if "DUE TO TIME LIMIT" in text:
        return "timeout"
    if "CANCELLED AT" in text:
        return "cancelled"
    if JOB_FAILED.search(text):
        return "failed"
    return NO_RECORD


def wait_for(grid: GridFolder, slurm: Slurm, timeout: float, poll: float = 2.0) -> dict[str, str]:
    """Until none of the last submission's jobs is pending or running; their states."""
    deadline = time.monotonic() + timeout
    while True:
        states = job_states(grid, slurm)
        if not any(state.upper() in ACTIVE for state in states.values()):
            return states
        if time.monotonic() > deadline:
            raise XstiltsError(f"the grid's jobs still run after {timeout:.0f} s")
        time.sleep(poll)


def done_line(stage: str, seconds: float) -> str:
    return f"xstilts grid: stage {stage} done in {seconds:.0f} s"


def failed_line(stage: str, status: int, workspace: Path) -> str:
    return (
        f"xstilts grid: stage {stage} failed (exit status {status}); its workspace is kept "
        f"at {workspace}"
    )


def _log_says_done(log: Path, stage: str) -> bool:
    if not log.is_file():
        return False
    lines = log.read_text(encoding="utf-8", errors="replace").rstrip().splitlines()
    last = lines[-1] if lines else ""
    done = JOB_DONE.fullmatch(last)
    return bool(done and done[1] == stage) or last.endswith(MERGED)


def format_status(grid: GridFolder, slurm: Slurm) -> str:
    submission = grid.read()
    states = job_states(grid, slurm)
    stage_states = {s: v for s, v in states.items() if s != ASSEMBLY}
    counts = Counter(stage_states.values())
    left = sum(n for state, n in counts.items() if state != DONE)
    lines = [
        f"{len(stage_states)} stage job(s) submitted, {len(submission.skipped)} skipped (up to "
        f"date); {counts.get(DONE, 0)} done, {left} left: "
        + ", ".join(f"{state} {n}" for state, n in sorted(counts.items())),
    ]
    if ASSEMBLY in states:
        lines.append(f"assembly job {submission.assemble_job}: {states[ASSEMBLY]}")
    for stage, state in stage_states.items():
        if state != DONE and state.upper() not in ACTIVE:
            job = submission.jobs[stage]
            lines.append(f"  {stage}: {state} (job {job}, log {grid.log(stage, job)})")
    if left and not any(s.upper() in ACTIVE for s in stage_states.values()):
        lines.append("nothing is running: `xstilts grid submit` resubmits what is left")
    return "\n".join(lines)
