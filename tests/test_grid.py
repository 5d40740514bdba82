"""`xstilts grid` without a cluster: the graph it reads, the resources it asks for, the lock
entries it merges, the job scripts and the dry run (tests/test_grid_slurm.py runs it on Slurm)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from xstilts.config import load_params, parse_params
from xstilts.grid.graph import downstream, read_graph
from xstilts.grid.lockfile import merged, read_entries, write_entries
from xstilts.grid.resources import ResourcePolicy, stage_hours, stage_resources
from xstilts.grid.slurm import job_script
from xstilts.grid.state import ASSEMBLY, GridFolder, Submission, file_name
from xstilts.grid.status import (
    DONE,
    MERGED,
    NEVER_STARTED,
    NO_RECORD,
    done_line,
    failed_line,
    format_status,
    job_states,
)

from .toy_dvc import make_toy

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def project_graph():
    return read_graph(REPO)


def test_the_graph_is_dvcs_with_dependencies_first(project_graph):
    names = [stage.name for stage in project_graph]
    assert len(names) == len(set(names)) == 105
    seen: set[str] = set()
    for stage in project_graph:
        assert seen.issuperset(stage.after), stage.name
        seen.add(stage.name)
    by_name = {stage.name: stage for stage in project_graph}
    assert by_name["prepare"].tracked == ("data.dvc",)
    assert by_name["base"].tracked == ("data.dvc", "pretrained.dvc")
    evaluate = by_name["evaluate@multi-xnli-0"]
    assert set(evaluate.after) == {"prepare", "target@multi-xnli-0", "perturb@xnli-0", "lexicons"}
    assert names[-1] == "report"


def test_downstream_is_every_reader_directly_or_not(project_graph):
    below = downstream(project_graph, {"intermediate@race-0"})
    assert {"target@race-xcopa-0", "evaluate@race-xcopa-0", "retrieve@race-0", "report"} <= below
    assert not any(name.startswith(("intermediate@none", "target@multi-")) for name in below)


def test_the_address_of_a_stage_is_from_the_repository_root(tmp_path, monkeypatch):
    repo = tmp_path / "toy"
    make_toy(repo)
    monkeypatch.chdir(tmp_path)  # DVC's own `addressing` would say ../toy/dvc.yaml:words
    names = [stage.name for stage in read_graph(repo)]
    assert names == ["words", "count", "shard@1", "shard@2", "upper", "report"] or set(names) == {
        "words", "upper", "count", "shard@1", "shard@2", "report"}  # fmt: skip
    assert read_graph(repo)[0].tracked == ("seed.dvc",)


@pytest.mark.parametrize("profile", ["sample", "full"])
def test_every_planned_stage_is_a_gpu_job_of_the_graph(project_graph, profile):
    params = load_params(REPO / "params.yaml")
    if profile == "full":
        import yaml

        raw = yaml.safe_load((REPO / "profiles" / "full.yaml").read_text())
        params = parse_params({**raw, "profile": "full"})
    hours = stage_hours(params)
    kinds = {name.split("@")[0] for name in hours}
    assert kinds == {"intermediate", "target", "evaluate", "retrieve", "target_rsda",
                     "evaluate_rsda"}  # fmt: skip
    if profile == "sample":  # the full profile's grid has more stages than the sample's
        assert set(hours) <= {stage.name for stage in project_graph}
    policy = ResourcePolicy(gpus=1, cpus=8, mem="64G", time_factor=2.0, min_minutes=60)
    resources = stage_resources([*sorted(hours), "prepare"], hours, policy)
    assert resources["prepare"].gpus == 0
    assert not any(o.startswith("--gres") for o in resources["prepare"].sbatch_options())
    longest = max(hours, key=hours.get)
    assert resources[longest].minutes == max(60, -(-int(hours[longest] * 120 * 1e6) // 10**6))
    assert "--gres=gpu:1" in resources[longest].sbatch_options()


def test_the_lock_file_is_written_as_dvc_writes_it(tmp_path):
    entries = read_entries(REPO / "dvc.lock")
    write_entries(tmp_path / "dvc.lock", entries)
    assert (tmp_path / "dvc.lock").read_bytes() == (REPO / "dvc.lock").read_bytes()


def test_merged_entries_keep_their_place_and_new_ones_follow_the_graph():
    old = {"a": {"v": 1}, "c": {"v": 1}}
    new = {"d": {"v": 2}, "c": {"v": 2}, "b": {"v": 2}}
    out = merged(old, new, order=["a", "b", "c", "d"])
    assert list(out) == ["a", "c", "b", "d"] and out["c"] == {"v": 2}


def test_file_names_keep_stage_addresses_readable():
    assert file_name("evaluate@multi+mlm-xnli-0") == "evaluate@multi+mlm-xnli-0"
    assert file_name("sub/dvc.yaml:train") == "sub~2Fdvc.yaml~3Atrain"  # no % for sbatch


def test_a_job_script_runs_the_setup_then_the_job():
    launcher = ["apptainer", "exec", "--nv", "x.sif"]
    text = job_script("/venv/bin/python", ["--grid", "/g", "x"], ["module load cuda"], launcher)
    assert text.splitlines() == [
        "#!/bin/bash",
        "set -euo pipefail",
        "module load cuda",
        "exec apptainer exec --nv x.sif /venv/bin/python -m xstilts.grid.job --grid /g x",
    ]


def test_the_dry_run_lists_the_jobs_without_slurm(tmp_path):
    repo = tmp_path / "toy"
    make_toy(repo)
    done = subprocess.run(
        [sys.executable, "-m", "xstilts.cli", "grid", "submit", "--dry-run", "--params",
         str(REPO / "params.yaml")], cwd=repo, capture_output=True, text=True,
        env={"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("words  gpus=0 cpus=8 mem=64G time=240min")
    assert any(line.startswith("report  ") and "after: upper, count, shard@1, shard@2" in line
               for line in lines)  # fmt: skip
    assert lines[-2:] == [
        "assemble  after: every job above",
        "6 stage job(s) to submit, 0 left to running jobs, 0 up to date (skipped)",
    ]
    assert not (repo / ".grid").exists()


class ForgetfulSlurm:
    """A Slurm that remembers one running job and has forgotten the rest (MinJobAge)."""

    def states(self, jobs):
        return {"12": "RUNNING"}


def test_status_reads_results_and_logs_when_slurm_has_forgotten_the_jobs(tmp_path):
    grid = GridFolder(tmp_path / ".grid")
    jobs = {"a": "10", "b": "11", "c": "12", "d": "13", "e": "15", "f": "16", "g": "17"}
    stages = [{"name": n, "after": [], "tracked": [], "resources": []} for n in jobs]
    grid.write(Submission("/r", "/c", None, "s", "py", stages, jobs, ["z"], "14"))
    grid.record_done("a", {"cmd": "x"}, "10")  # recorded, not yet merged
    for stage, job, last in (
        ("b", "11", done_line("b", 7)),
        ("d", "13", "Killed"),
        ("e", "15", "slurmstepd: error: *** JOB 15 ON n1 CANCELLED AT 2026-12-07T19:04:50 ***"),
        ("f", "16", failed_line("f", 2, tmp_path / "work" / "f")),
    ):
        grid.log(stage, job).parent.mkdir(parents=True, exist_ok=True)
        grid.log(stage, job).write_text(f"$ dvc repro\n{last}\n")
    grid.log(ASSEMBLY, "14").write_text(f"xstilts grid: 4 stage(s) {MERGED}\n")
    states = job_states(grid, ForgetfulSlurm())
    assert states == {
        **{"a": DONE, "b": DONE, "c": "running", "d": NO_RECORD, "e": "cancelled"},
        **{"f": "failed", "g": NEVER_STARTED, ASSEMBLY: DONE},
    }
    text = format_status(grid, ForgetfulSlurm())
    assert text.splitlines()[0] == (
        "7 stage job(s) submitted, 1 skipped (up to date); 2 done, 5 left: cancelled 1, done 2, "
        f"{NO_RECORD} 1, failed 1, {NEVER_STARTED} 1, running 1"
    )
    assert f"  d: {NO_RECORD} (job 13, log {grid.log('d', '13')})" in text


def test_a_log_pattern_keeps_sbatchs_percent_signs_for_the_job_id(tmp_path):
    grid = GridFolder(tmp_path / "100%")
    pattern = grid.log_pattern("sub/dvc.yaml:train")
    assert pattern == f"{tmp_path}/100%%/logs/sub~2Fdvc.yaml~3Atrain.%j.out"
    assert pattern.replace("%%", "%").replace("%j", "7") == str(grid.log("sub/dvc.yaml:train", "7"))
