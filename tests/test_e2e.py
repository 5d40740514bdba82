"""The sample profile end to end, as a reviewer runs it: a fresh copy of the repository,
`dvc pull data.dvc`, `dvc repro`, then the checks a reviewer would make."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from xstilts.config import load_params
from xstilts.io import read_json

from .conftest import REPO

pytestmark = pytest.mark.e2e


def fresh_copy(destination: Path) -> Path:
    """Tracked and untracked-but-not-ignored files, as a clone of this working tree would have."""
    listing = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listing):
        source = REPO / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    git = ["git", "-c", "user.name=xstilts", "-c", "user.email=xstilts@localhost"]
    subprocess.run([*git, "init", "-q"], cwd=destination, check=True)
    subprocess.run([*git, "add", "-A"], cwd=destination, check=True)
    subprocess.run([*git, "commit", "-qm", "snapshot"], cwd=destination, check=True)
    return destination


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory):
    repo = fresh_copy(tmp_path_factory.mktemp("clone"))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HF_HUB_OFFLINE": "1",
    }

    def run(*command: str) -> str:
        done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (
            f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
        return done.stdout + done.stderr

    run("dvc", "pull", "data.dvc")
    run("dvc", "repro")
    return repo, run


def test_every_run_of_params_has_metrics_and_the_report_lists_them(pipeline) -> None:
    repo, _ = pipeline
    params = load_params(repo / "params.yaml")
    summary = read_json(repo / "metrics/summary.json")
    assert set(summary) == {*params.targets, "robustness"}
    for task in params.targets:
        assert set(summary[task]) == set(params.condition_names)
    report = (repo / "reports/REPORT.md").read_text(encoding="utf-8")
    for condition in params.condition_names:
        assert f"| {condition} |" in report


def zero_shot_above_chance(metrics: dict, margin: float = 0.05) -> list[str]:
    chance = metrics["chance"]
    return [
        lang for lang, acc in metrics["accuracy"].items() if lang != "en" and acc > chance + margin
    ]


def test_models_learn_in_english_and_transfer_zero_shot(pipeline) -> None:
    """English is learnt for every target. Zero-shot transfer in the sample world is weak: XNLI
    (labels carried largely by shared names and numerals) transfers for every condition; PAWS-X
    for at least one; XCOPA's cause-effect pairs are lexical knowledge that the tiny encoder
    does not align, so it is not required to transfer."""
    repo, _ = pipeline
    params = load_params(repo / "params.yaml")
    runs = {
        (task, condition): read_json(repo / f"metrics/evaluate/{condition}/{task}/seed0.json")
        for task in params.targets
        for condition in params.condition_names
    }
    for (task, condition), metrics in runs.items():
        assert metrics["accuracy"]["en"] > metrics["chance"] + 0.10, (task, condition, metrics)
    for condition in params.condition_names:
        assert zero_shot_above_chance(runs["xnli", condition]), runs["xnli", condition]
    assert any(zero_shot_above_chance(runs["pawsx", c]) for c in params.condition_names)


def test_dvc_is_clean_after_the_run_and_nothing_reruns(pipeline) -> None:
    _, run = pipeline
    assert "Data and pipelines are up to date" in run("dvc", "status")
    assert "Running stage" not in run("dvc", "repro")
    assert "base" in run("dvc", "dag")
    shown = run("dvc", "metrics", "show")
    assert "metrics/summary.json" in shown


def test_robustness_outputs_and_the_answer(pipeline) -> None:
    """Every run has perturbation and attack results; the report opens with the statistical
    answer for every (task, attack, comparison) and has its plots."""
    repo, _ = pipeline
    params = load_params(repo / "params.yaml")
    for task in params.targets:
        for condition in params.condition_names:
            metrics = read_json(repo / f"metrics/evaluate/{condition}/{task}/seed0.json")
            assert len(metrics["perturbations"]) == len(params.robustness.families)
            for attack in metrics["attacks"].values():
                assert (
                    attack["mean_zero_shot"]["accuracy"]
                    <= attack["mean_zero_shot"]["clean_accuracy"]
                )
    primary = read_json(repo / "metrics/summary.json")["robustness"]["primary"]
    comparisons = len(params.condition_names) - 1
    assert len(primary) == len(params.targets) * len(params.robustness.attacks) * comparisons
    report = (repo / "reports/REPORT.md").read_text(encoding="utf-8")
    assert report.count("\n- ") >= len(primary) and "**Answer of this run" in report
    assert (repo / "reports/plots/attack_budget.png").stat().st_size > 10_000


def test_rerunning_a_chain_gives_identical_files(pipeline) -> None:
    repo, run = pipeline
    outputs = [
        repo / "metrics/evaluate/multi/xnli/seed0.json",
        repo / "predictions/multi/xnli/seed0.jsonl",
        repo / "predictions/multi/xnli/seed0.perturbed.jsonl",
        repo / "predictions/multi/xnli/seed0.attack.jsonl",
        repo / "perturbed/xnli/seed0.jsonl",
    ]
    before = [p.read_bytes() for p in outputs]
    run("dvc", "repro", "-f", "-s", "perturb@xnli-0")
    run("dvc", "repro", "-f", "-s", "target@multi-xnli-0")
    run("dvc", "repro", "-f", "-s", "evaluate@multi-xnli-0")
    assert [p.read_bytes() for p in outputs] == before
