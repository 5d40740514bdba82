"""`xstilts grid` on a real Slurm: a one-node cluster started on localhost (tests/slurm_cluster.py)
runs a small DVC project's graph (a `.dvc`-tracked input, a matrix stage, a diamond), the same
graph's plain `dvc repro` being the reference. Behaviour checked: outputs and dvc.lock equal the
plain run's; a failing stage's readers are cancelled, nothing of it reaches the cache, and a
rerun submits only what is missing; so does a rerun after a job is cancelled mid-way (scancel);
no Slurm and an unknown partition are one line each; the srun wrapper of a stage over several
nodes starts accelerate's processes inside a job."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xstilts.config import load_params
from xstilts.errors import XstiltsError
from xstilts.grid.lockfile import read_entries
from xstilts.grid.resources import ResourcePolicy
from xstilts.grid.slurm import Slurm
from xstilts.grid.state import ASSEMBLY, GridFolder
from xstilts.grid.status import DONE, job_states
from xstilts.grid.submit import GridOptions, submit

from .slurm_cluster import LocalSlurm, unavailable
from .toy_dvc import STAGES, dvc, make_toy

pytestmark = pytest.mark.skipif(unavailable() is not None, reason=str(unavailable()))

ROOT = Path(__file__).resolve().parents[1]
PARTITION = "grid"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    slurm = LocalSlurm(tmp_path_factory.mktemp("slurm"), partition=PARTITION)
    with slurm:
        yield slurm


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """The toy graph's dvc.lock from a plain `dvc repro`."""
    repo = tmp_path_factory.mktemp("plain") / "toy"
    make_toy(repo)
    dvc(["repro", "-q"], repo)
    return read_entries(repo / "dvc.lock")


def options(**changes) -> GridOptions:
    policy = ResourcePolicy(gpus=1, cpus=1, mem="256M", min_minutes=5, cpu_minutes=5)
    return GridOptions(slurm=Slurm(PARTITION), policy=policy, **changes)


def grid_submit(repo: Path, **env: str) -> str:
    """Submit with extra variables in the jobs' environment (sbatch passes the caller's)."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return submit(repo, load_params(ROOT / "params.yaml"), options())
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_the_grid_gives_the_plain_runs_outputs(cluster, reference, tmp_path):
    repo = tmp_path / "toy"
    make_toy(repo)
    began = time.monotonic()
    summary = grid_submit(repo)
    assert "6 stage job(s) to submit" in summary
    cluster.wait_idle(300)
    print(f"toy grid: {time.monotonic() - began:.0f} s")
    grid = GridFolder(repo / ".grid")
    states = job_states(grid, Slurm())
    assert states == {**{s: DONE for s in STAGES}, ASSEMBLY: DONE}
    assert read_entries(repo / "dvc.lock") == reference
    assert (repo / "out" / "report.txt").read_text() == "ALPHA CHARLIE DELTA | 3 | alpha | charlie"
    assert subprocess.run([sys.executable, "-m", "dvc", "status", "-q"], cwd=repo).returncode == 0
    assert not (grid.root / "work").exists() or not any((grid.root / "work").iterdir())
    # nothing left to do: a second submission submits nothing, also when the outputs are in
    # the cache only (removed from the workspace, or a fresh clone on the shared cache)
    assert "nothing to submit" in grid_submit(repo)
    shutil.rmtree(repo / "out")
    assert grid_submit(repo).startswith("0 stage job(s) to submit, 0 left to running jobs, 6 up")
    assert (repo / "out" / "report.txt").read_text() == "ALPHA CHARLIE DELTA | 3 | alpha | charlie"


def _cache_files(repo: Path) -> set[str]:
    return {
        p.read_text(errors="replace") for p in (repo / ".dvc" / "cache").rglob("*") if p.is_file()
    }


def test_a_failing_stage_cancels_its_readers_and_a_rerun_submits_what_is_missing(
    cluster, reference, tmp_path
):
    repo = tmp_path / "toy"
    make_toy(repo)
    grid_submit(repo, TOY_FAIL="upper")
    cluster.wait_idle(300)
    grid = GridFolder(repo / ".grid")
    states = job_states(grid, Slurm())
    assert states["upper"] == "failed"
    assert states["report"] == states[ASSEMBLY] == "cancelled"  # not pending forever
    assert {states[s] for s in ("words", "count", "shard@1", "shard@2")} == {DONE}
    assert "partial" not in _cache_files(repo)  # the failed command's output never cached
    log = next((grid.root / "logs").glob("upper.*.out")).read_text()
    assert "upper: told to fail" in log and "stage upper failed" in log

    summary = grid_submit(repo)
    assert summary.startswith("2 stage job(s) to submit, 0 left to running jobs, 4 up to date")
    cluster.wait_idle(300)
    assert set(grid.read().jobs) == {"upper", "report"}
    assert read_entries(repo / "dvc.lock") == reference


def running_count_job(repo: Path, grid: GridFolder) -> str:
    """Submit the toy grid with `count` sleeping; its job id once it runs."""
    grid_submit(repo, TOY_SLEEP="count:600")
    job = grid.read().jobs["count"]
    deadline = time.monotonic() + 120
    while Slurm().states([job]).get(job) != "RUNNING":
        assert time.monotonic() < deadline, "count never started"
        time.sleep(0.5)
    return job


def test_a_job_cancelled_mid_way_is_resubmitted_alone(cluster, reference, tmp_path):
    repo = tmp_path / "toy"
    make_toy(repo)
    grid = GridFolder(repo / ".grid")
    job = running_count_job(repo, grid)
    subprocess.run(["scancel", job], check=True)
    cluster.wait_idle(300)
    states = job_states(grid, Slurm())
    assert states["count"] == "cancelled" and states["report"] == "cancelled"

    summary = grid_submit(repo)
    assert summary.startswith("2 stage job(s) to submit, 0 left to running jobs, 4 up to date")
    cluster.wait_idle(300)
    assert set(grid.read().jobs) == {"count", "report"}
    assert read_entries(repo / "dvc.lock") == reference


def test_an_unknown_partition_is_one_line(cluster, tmp_path):
    repo = tmp_path / "toy"
    make_toy(repo)
    with pytest.raises(
        XstiltsError,
        match=r"^partition 'gpu-a100' does not exist on this cluster \(sinfo lists: grid\)$",
    ):
        submit(repo, load_params(ROOT / "params.yaml"), GridOptions(slurm=Slurm("gpu-a100")))
    assert not (repo / ".grid").exists()


def test_no_slurm_is_one_line(tmp_path, monkeypatch):
    repo = tmp_path / "toy"
    make_toy(repo)
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "xstilts.cli",
            "grid",
            "submit",
            "--params",
            str(ROOT / "params.yaml"),
        ],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "xstilts: error: sbatch not found: this machine has no Slurm (xstilts grid submits with "
        "sbatch); on one machine run `xstilts repro` instead"
    ]


PROBE = """import json, os
keys = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "SLURM_PROCID")
print(json.dumps({k: os.environ.get(k) for k in keys}))
"""


def test_the_srun_wrapper_starts_accelerates_processes_inside_a_job(cluster, tmp_path):
    """scripts/srun_accelerate.sh (a stage's XSTILTS_LAUNCH over several nodes) under srun in a
    Slurm job: one node here, so rank 0 of 1 machine, its two processes (CPU, gloo) told their
    ranks and the node as the main process."""
    (tmp_path / "probe.py").write_text(PROBE)
    launch = (
        f"srun --ntasks-per-node=1 sh {ROOT / 'scripts' / 'srun_accelerate.sh'} --multi_gpu "
        "--num_processes 2 --main_process_port 29517"
    )
    script = tmp_path / "job.sh"
    script.write_text(
        f"#!/bin/bash\nset -eu\nexport PATH={Path(sys.executable).parent}:$PATH\n"
        f"export ACCELERATE_USE_CPU=true\n{launch} {tmp_path / 'probe.py'}\n"
    )
    log = tmp_path / "job.out"
    sbatch = ["sbatch", "--parsable", f"--partition={PARTITION}", "--cpus-per-task=2"]
    job = subprocess.run(
        [*sbatch, "--mem=2G", f"--output={log}", str(script)],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    cluster.wait_idle(300)
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert sorted(r["RANK"] for r in rows) == ["0", "1"], log.read_text()
    assert {r["WORLD_SIZE"] for r in rows} == {"2"} and {r["SLURM_PROCID"] for r in rows} == {"0"}
    assert Slurm().states([job]).get(job) == "COMPLETED"


def test_a_resubmission_after_a_code_change_replaces_the_jobs_still_running(cluster, tmp_path):
    """A job left running from before an edit would record results of the old code: the new
    submission cancels it and submits its stage again (unchanged code keeps it: see above)."""
    repo = tmp_path / "toy"
    make_toy(repo)
    grid = GridFolder(repo / ".grid")
    old = running_count_job(repo, grid)
    (repo / "NOTES.md").write_text("an edit the snapshot sees\n")
    summary = grid_submit(repo)
    assert ", 0 left to running jobs," in summary
    new = grid.read().jobs["count"]
    assert new != old and Slurm().states([old])[old] in ("CANCELLED", "COMPLETING")
    cluster.wait_idle(300)
    assert set(job_states(grid, Slurm()).values()) == {DONE}
