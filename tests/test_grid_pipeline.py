"""The project's own graphs through `xstilts grid` on a real local Slurm (tests/slurm_cluster.py):
the sample profile, whose assembled dvc.lock must be the committed one byte for byte (the
committed one is a plain run's: tests/test_e2e.py checks it against the sources), and the full
profile's rehearsal graph against the stand-in hub. Minutes each, so not in `make test`:
`make test-grid` (CI runs both)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xstilts.grid.graph import read_graph
from xstilts.grid.slurm import Slurm
from xstilts.grid.state import GridFolder
from xstilts.grid.status import DONE, job_states
from xstilts.rehearsal.run import copy_repository

from .slurm_cluster import LocalSlurm, unavailable

pytestmark = [
    pytest.mark.grid,
    pytest.mark.skipif(unavailable() is not None, reason=str(unavailable())),
]

REPO = Path(__file__).resolve().parents[1]
PARTITION = "grid"
# one CPU per job on the two-core node (two jobs at once), fake GPUs for the GPU stages
RESOURCES = ["--partition", PARTITION, "--cpus", "1", "--mem", "4G", "--min-minutes", "60",
             "--cpu-minutes", "60"]  # fmt: skip


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    slurm = LocalSlurm(tmp_path_factory.mktemp("slurm"), partition=PARTITION)
    with slurm as env:
        yield slurm, env


def _xstilts(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "xstilts.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_sample_grid_gives_the_committed_dvc_lock(cluster, tmp_path):
    slurm, env = cluster
    repo = tmp_path / "repo"
    copy_repository(REPO, repo)  # the working tree as a fresh repository, data/ included
    (repo / "dvc.lock").write_bytes((REPO / "dvc.lock").read_bytes())
    env = {**env, "HF_HUB_OFFLINE": "1"}
    pull = [sys.executable, "-m", "dvc", "pull", "-q", "data.dvc", "pretrained.dvc"]
    subprocess.run(pull, cwd=repo, env=env, check=True)  # into the cache the jobs share
    began = time.monotonic()
    summary = _xstilts(["grid", "submit", *RESOURCES], repo, env)
    stages = int(re.match(r"(\d+) stage job", summary)[1])
    slurm.wait_idle(3600)
    wall = time.monotonic() - began
    status = _xstilts(["grid", "status"], repo, env)
    print(f"sample grid through Slurm: {wall:.0f} s, {stages} stage jobs\n{summary}\n{status}")
    states = job_states(GridFolder(repo / ".grid"), Slurm())
    assert set(states.values()) == {DONE}, status
    assert stages == len(states) - 1 == len(read_graph(repo)) == 105
    assert (repo / "dvc.lock").read_bytes() == (REPO / "dvc.lock").read_bytes()
    assert subprocess.run([sys.executable, "-m", "dvc", "status", "-q"], cwd=repo).returncode == 0
    assert (repo / "reports" / "REPORT.md").is_file()
    again = _xstilts(["grid", "submit", *RESOURCES], repo, env)
    assert again.startswith("0 stage job(s) to submit, 0 left to running jobs, 105 up to date")


def test_the_rehearsal_graph_runs_through_slurm(cluster, tmp_path):
    """The full profile's graph at the rehearsal's sizes, each stage a job, against the stand-in
    hub on 127.0.0.1 (the jobs run on this node)."""
    _, env = cluster
    began = time.monotonic()
    options = " ".join(RESOURCES)
    done = subprocess.run(
        [sys.executable, "-m", "xstilts.cli", "rehearse", "--grid", options, "--keep",
         str(tmp_path / "kept")], cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    print(f"rehearsal through Slurm: {time.monotonic() - began:.0f} s\n{done.stdout}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"rehearsal passed in \d+ s: (\d+) stages run, 0 failed", done.stdout)
    stages = int(re.search(r"passed in \d+ s: (\d+) stages run", done.stdout)[1])
    assert stages == 80  # the rehearsal's graph: tests/test_rehearsal.py counts it from params
