"""The sample profile end to end, as a reviewer runs it: a fresh copy of the repository with the
container's DVC cache settings, `dvc pull data.dvc pretrained.dvc`, `xstilts repro --jobs 2`
(what `make repro` runs on two cores), then the checks a reviewer would make. The copy's
params.yaml is the sample profile at the test sizes below (a smaller run of the same graph, code
and data; `make repro` runs the profile's own sizes)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from xstilts import forkserver
from xstilts.config import deep_update, load_params, parse_params
from xstilts.io import read_json
from xstilts.params_trace import TRACE_ENV
from xstilts.tasks import get_task

from .conftest import REPO

pytestmark = pytest.mark.e2e


# The sample profile's conditions that the test runs, as the profile defines them: the baseline
# and the mix (which trains every intermediate task, RACE included), each with every target.
# Every condition's chain is independent of the others', so these conditions train exactly the
# models `make repro` trains (the accuracies checked below are the full run's). A single-task
# condition's stages run in tests/test_stages.py and in the rehearsal (tests/test_rehearsal.py).
TEST_CONDITIONS = ("none", "multi")
# Every target of the profile but the QA one: its two chains would cost this test a minute and a
# half on two cores (the suite's time limit). Its stages run through the same CLI in
# tests/test_stages.py (tiny sizes), in the rehearsal (tests/test_rehearsal.py) and in
# `make repro`; its learning in tests/test_span_core.py.
LEFT_OUT_TARGETS = ("xquad",)
# Sizes merged into the sample profile: smaller robustness sets (perturbed and attacked test
# examples per language, bootstrap resamples) and one RS-DA run. Data, models and training are
# the profile's.
TEST_SIZES = {
    "robustness": {"max_examples": 12, "attack_examples": 3, "bootstrap_resamples": 200},
    # RS-DA's stages, once: the baseline's XNLI target on its three copies of each example
    "rsda": {"conditions": ["none"], "tasks": ["xnli"]},
}


def git(repo: Path, *args: str) -> None:
    """A git command in `repo`, as a fixed committer (a fresh machine has no git identity)."""
    identity = ["-c", "user.name=xstilts", "-c", "user.email=xstilts@localhost"]
    subprocess.run(["git", *identity, *args], cwd=repo, check=True)


def at_test_sizes(repo: Path) -> None:
    """Commits `repo`'s params.yaml at the test's conditions and sizes (validated)."""
    raw = deep_update(
        yaml.safe_load((repo / "params.yaml").read_text(encoding="utf-8")), TEST_SIZES
    )
    raw["conditions"] = {name: raw["conditions"][name] for name in TEST_CONDITIONS}
    raw["targets"] = [t for t in raw["targets"] if t not in LEFT_OUT_TARGETS]
    parse_params(raw)
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    git(repo, "commit", "-qam", "test sizes")


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
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(destination, "commit", "-qm", "snapshot")
    return destination


def dockerfile_workspace_setup(cache: Path) -> list[list[str]]:
    """The Dockerfile's setup of the workspace after `make data`: its DVC configuration (its one
    `RUN dvc ...` line) with the cache volume `/cache/dvc` replaced by `cache`, and its removal of
    the committed dvc.lock (`RUN rm dvc.lock`). The run below keeps its cache outside the
    repository, as the container does, with the container's own commands."""
    lines = (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines()
    (configure,) = [line for line in lines if line.startswith("RUN dvc ")]
    (unlock,) = [line for line in lines if line.startswith("RUN rm dvc.lock")]
    commands = [*configure.removeprefix("RUN ").split("&&"), unlock.removeprefix("RUN ")]
    return [shlex.split(command.replace("/cache/dvc", str(cache))) for command in commands]


def runner(repo: Path, **extra_env: str) -> Callable[..., str]:
    """Runs a command in `repo` offline with this interpreter's tools first on PATH and `repo`'s
    code first on the import path, letting Python write bytecode next to the sources as it does
    on most machines; returns the output and fails the test with the output's tail if the
    command fails."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        **extra_env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        # the copy's own code, not the checkout that this interpreter has installed (editable)
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(repo / "src"), os.environ.get("PYTHONPATH")])
        ),
        "HF_HUB_OFFLINE": "1",
    }

    def run(*command: str) -> str:
        done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (
            f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
        return done.stdout + done.stderr

    return run


def set_up_like_the_container(repo: Path, cache: Path, **extra_env: str) -> Callable[..., str]:
    """The image's workspace setup with `cache` as its volume, then `make repro`'s data step."""
    run = runner(repo, **extra_env)
    for command in dockerfile_workspace_setup(cache):
        run(*command)
    run("dvc", "pull", "data.dvc", "pretrained.dvc")
    return run


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory):
    repo = fresh_copy(tmp_path_factory.mktemp("clone"))
    at_test_sizes(repo)
    cache = tmp_path_factory.mktemp("dvc-cache")
    run = set_up_like_the_container(repo, cache, **{TRACE_ENV: str(params_trace(repo))})
    log = run("xstilts", "repro", "--jobs", "2")  # as `make repro` runs it on two cores
    repro_log(repo).write_text(log, encoding="utf-8")
    return repo, run, cache


def repro_log(repo: Path) -> Path:
    return repo.parent / f"{repo.name}-repro.log"


def test_every_stage_process_forked_from_the_fork_server(pipeline) -> None:
    """`xstilts repro` starts its fork server (none on a GPU machine) and no stage had to start
    its own interpreter (each did the work a fresh one would: the other tests check what they
    wrote)."""
    repo, _, _ = pipeline
    stages = yaml.safe_load((repo / "dvc.lock").read_text(encoding="utf-8"))["stages"]
    log = repro_log(repo).read_text(encoding="utf-8")
    if forkserver.gpu_present():
        assert "a GPU is present: each stage starts its own Python" in log
        return
    assert "new interpreter" not in log and "no fork server" not in log
    forked = re.search(r"(\d+) stage process\(es\) forked from one interpreter, 0 started", log)
    assert forked and int(forked.group(1)) == len(stages), log[-2000:]


def params_trace(repo: Path) -> Path:
    """Where the pipeline's stages write the params keys they read (xstilts.params_trace)."""
    return repo.parent / f"{repo.name}-params-trace"


def test_every_param_a_stage_reads_is_in_its_dvc_params(pipeline) -> None:
    """Each stage ran with its params traced: every key it read is one dvc.lock records for it
    (or lies inside one), so no value a stage uses can change without DVC rerunning it. The
    `execution` section is the exception by design: speed only, no stage lists it."""
    repo, _, _ = pipeline
    stages = yaml.safe_load((repo / "dvc.lock").read_text(encoding="utf-8"))["stages"]
    read: dict[str, set[str]] = {}
    for trace in params_trace(repo).glob("*.json"):
        stage = trace.name.rsplit(".", 2)[0]
        read.setdefault(stage, set()).update(json.loads(trace.read_text(encoding="utf-8")))
    assert set(read) == set(stages), "every stage of the run wrote its trace"
    untracked = {}
    for stage, keys in read.items():
        tracked = set(stages[stage].get("params", {}).get("params.yaml", {}))
        missing = [
            k
            for k in keys
            if not k.startswith("execution.")
            and not any(k == t or k.startswith(f"{t}.") for t in tracked)
        ]
        if missing:
            untracked[stage] = sorted(missing)
    assert not untracked, f"stages read params dvc.yaml does not list for them: {untracked}"


def test_every_run_of_params_has_metrics_and_the_report_lists_them(pipeline) -> None:
    repo, _, _ = pipeline
    params = load_params(repo / "params.yaml")
    summary = read_json(repo / "metrics/summary.json")
    assert set(summary) == {*params.targets, "robustness", "retrieval"}
    assert set(summary["retrieval"]["tatoeba_mean"]) == set(params.conditions)
    for task in params.targets:
        assert set(summary[task]) == set(params.conditions_for(task))
    assert set(summary["xnli"]) == {"none", "multi", "none+rsda"}  # the test's one RS-DA run
    report = (repo / "reports/REPORT.md").read_text(encoding="utf-8")
    for condition in params.all_condition_names:
        assert f"| {condition} |" in report


def chance_of(metrics: dict, lang: str) -> float:
    """One chance level (classification) or each language's no-skill level (tagging)."""
    chance = metrics["chance"]
    return chance[lang] if isinstance(chance, dict) else chance


def zero_shot_above_chance(metrics: dict, margin: float = 0.05) -> list[str]:
    scores = metrics[metrics["metric"]]
    return [
        lang
        for lang, score in scores.items()
        if lang != "en" and score > chance_of(metrics, lang) + margin
    ]


def test_models_learn_in_english_and_transfer_zero_shot(pipeline) -> None:
    """English is learnt for every target. Zero-shot transfer from the sample encoder
    (pretrained/): the XNLI-shaped target transfers for every condition in some language; the
    XCOPA-shaped one in at least two languages for every condition; the PAWS-X-shaped one in at
    least three languages for some condition (on the machine that made dvc.lock: four for
    `none`, margins of 10 to 16 points)."""
    repo, _, _ = pipeline
    params = load_params(repo / "params.yaml")
    runs = {
        (task, condition): read_json(repo / f"metrics/evaluate/{condition}/{task}/seed0.json")
        for task in params.targets
        for condition in params.condition_names
    }
    for (task, condition), metrics in runs.items():
        english = metrics[metrics["metric"]]["en"]
        assert english > chance_of(metrics, "en") + 0.10, (task, condition, metrics)
    for condition in params.condition_names:
        assert zero_shot_above_chance(runs["xnli", condition]), runs["xnli", condition]
        assert len(zero_shot_above_chance(runs["xcopa", condition])) >= 2, runs["xcopa", condition]
        # tagging: words and names transfer in every language (no-skill: the majority tag, 0 F1)
        for task in ("udpos", "panx"):
            metrics = runs[task, condition]
            assert len(zero_shot_above_chance(metrics)) == 5, metrics
            assert set(metrics["unk_words"]) == set(params.sample_world.languages)
    pawsx = [zero_shot_above_chance(runs["pawsx", c]) for c in params.condition_names]
    assert max(map(len, pawsx)) >= 3, pawsx


def test_dvc_is_clean_after_the_run_and_nothing_reruns(pipeline) -> None:
    _, run, _ = pipeline
    assert "Data and pipelines are up to date" in run("dvc", "status")
    assert "Running stage" not in run("dvc", "repro")
    assert "base" in run("dvc", "dag")
    shown = run("dvc", "metrics", "show")
    assert "metrics/summary.json" in shown


def test_the_run_records_the_committed_sources_and_data(pipeline) -> None:
    """The stages wrote Python bytecode next to the sources they depend on; dvc.lock still
    records exactly the committed hashes of every source and data dependency, so a reviewer's
    `git diff dvc.lock` after a rerun shows only outputs (none at all on the same hardware).
    The run has the test's conditions: every stage it ran records its committed dependencies,
    and every committed stage's dependencies are those of a stage of its kind that ran (the
    stages of the conditions left out depend on the same sources as those of the ones run)."""
    repo, _, _ = pipeline
    assert any((repo / "src/xstilts").rglob("__pycache__/*.pyc"))
    rerun = yaml.safe_load((repo / "dvc.lock").read_text(encoding="utf-8"))
    committed = yaml.safe_load((REPO / "dvc.lock").read_text(encoding="utf-8"))
    ran, recorded = by_stage(input_dependencies(rerun)), by_stage(input_dependencies(committed))
    assert set(rerun["stages"]) <= set(committed["stages"])
    assert {kind(stage) for stage in ran} == {kind(stage) for stage in recorded}
    for stage, deps in recorded.items():
        assert deps in [ran[other] for other in ran if kind(other) == kind(stage)], stage
    assert ran == {stage: recorded[stage] for stage in ran}, (
        "dvc.lock records other sources than these: commit the dvc.lock of a fresh `make repro`"
    )


def kind(stage: str) -> str:
    """A stage's name without its matrix item: `target@multi-xnli-0` is a `target` stage."""
    return stage.split("@")[0]


def by_stage(dependencies: dict[tuple[str, str], dict]) -> dict[str, dict[str, dict]]:
    grouped: dict[str, dict[str, dict]] = {}
    for (stage, path), dep in dependencies.items():
        grouped.setdefault(stage, {})[path] = dep
    return grouped


def input_dependencies(lock: dict) -> dict[tuple[str, str], dict]:
    """Every stage's dependencies that no stage produces (sources, scripts, data), by stage."""
    stages = lock["stages"]
    outputs = [out["path"] for stage in stages.values() for out in stage.get("outs", [])]

    def produced(path: str) -> bool:
        return any(
            out == path or out.startswith(f"{path}/") or path.startswith(f"{out}/")
            for out in outputs
        )

    return {
        (name, dep["path"]): dep
        for name, stage in stages.items()
        for dep in stage.get("deps", [])
        if not produced(dep["path"])
    }


def test_a_fresh_copy_restores_the_run_from_the_cache_volume(pipeline, tmp_path: Path) -> None:
    """The container keeps DVC's cache in a volume, so a new container (a fresh copy with the same
    cache) gets every output back from DVC's stage cache without running a stage again."""
    repo, _, cache = pipeline
    assert not (repo / ".dvc/cache").exists()
    copy = fresh_copy(tmp_path)
    at_test_sizes(copy)
    recorded_on_other_hardware(copy)
    run = set_up_like_the_container(copy, cache)
    log = run("dvc", "repro")
    assert "Running stage" not in log and "is cached - skipping run" in log
    for output in ["metrics/summary.json", "reports/REPORT.md", "models/target/multi/xnli/seed0"]:
        assert digest(copy / output) == digest(repo / output), output
    assert "Data and pipelines are up to date" in run("dvc", "status")


def recorded_on_other_hardware(repo: Path) -> None:
    """Commits a dvc.lock whose every output hash differs from this machine's, as the committed
    record does where another machine's floats came out otherwise: the restore must not depend
    on this machine reproducing the committed outputs."""
    lock = yaml.safe_load((repo / "dvc.lock").read_text(encoding="utf-8"))
    for stage in lock["stages"].values():
        for out in stage.get("outs", []):
            md5 = out["md5"]
            out["md5"] = hashlib.md5(md5.encode()).hexdigest() + md5[32:]
    (repo / "dvc.lock").write_text(yaml.safe_dump(lock, sort_keys=False), encoding="utf-8")
    git(repo, "commit", "-qam", "elsewhere")


def digest(path: Path) -> dict[str, bytes]:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return {str(p.relative_to(path.parent)): p.read_bytes() for p in files}


def test_robustness_outputs_and_the_answer(pipeline) -> None:
    """Every run has perturbation and attack results; the report opens with the statistical
    answer for every (task, attack, comparison) and has its plots."""
    repo, _, _ = pipeline
    params = load_params(repo / "params.yaml")
    for task in params.targets:
        for condition in params.conditions_for(task):
            metrics = read_json(repo / f"metrics/evaluate/{condition}/{task}/seed0.json")
            assert len(metrics["perturbations"]) == len(params.robustness.families)
            kind = get_task(task).kind
            score = {"tagging": "score", "span": "f1"}.get(kind, "accuracy")
            for attack in metrics["attacks"].values():
                means = attack["mean_zero_shot"]
                assert means[score] <= means[f"clean_{score}"]
    primary = read_json(repo / "metrics/summary.json")["robustness"]["primary"]
    # multi against every other condition the task was trained under (RS-DA's included)
    classification = [t for t in params.targets if get_task(t).kind not in ("tagging", "span")]
    comparisons = sum(len(params.conditions_for(t)) - 1 for t in classification)
    assert len(primary) == len(params.robustness.attacks) * comparisons
    report = (repo / "reports/REPORT.md").read_text(encoding="utf-8")
    assert report.count("\n- ") >= len(primary) and "**Answer of this run" in report
    assert (repo / "reports/plots/attack_budget.png").stat().st_size > 10_000


def test_rerunning_a_chain_gives_identical_files(pipeline) -> None:
    repo, run, _ = pipeline
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
