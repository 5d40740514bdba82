"""The stages, run in order on a small world with tiny settings: outputs, metrics, report,
atomic outputs and resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from xstilts import paths
from xstilts.cli import main
from xstilts.config import Params
from xstilts.io import atomic_dir, read_json, read_jsonl
from xstilts.modeling.model import load_checkpoint
from xstilts.tasks import get_task

from .conftest import REPO, TINY_RUN, deep_update, sample_profile, strict_load

CONDITIONS = {"none": [], "multi": ["qqp", "race"]}


def setup_run(tmp_path: Path, world: Path, updates: dict | None = None) -> Path:
    raw = deep_update(sample_profile(), TINY_RUN)
    raw = deep_update(raw, updates or {})
    raw["conditions"] = CONDITIONS
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    (tmp_path / "data").symlink_to(world)
    return tmp_path


def cli(*args: str) -> None:
    assert main(list(args)) == 0, args


def test_pipeline_stages_in_order(tmp_path, small_world, monkeypatch) -> None:
    monkeypatch.chdir(setup_run(tmp_path, small_world))
    params = Params.model_validate(yaml.safe_load(Path("params.yaml").read_text()))
    cli("prepare")
    cli("pretrain")
    assert not (paths.STATE / "pretrain").exists()
    cli("base")
    assert (paths.BASE / "model.safetensors").exists()
    cli("lexicons")
    for task in params.targets:
        cli("perturb", "--task", task, "--seed", "0")
    for condition in ("none", "multi"):
        cli("intermediate", "--condition", condition, "--seed", "0")
        for task in params.targets:
            cli("target", "--condition", condition, "--task", task, "--seed", "0")
            cli("evaluate", "--condition", condition, "--task", task, "--seed", "0")
    # RS-DA: the neighbours, the training copies, and each RS-DA condition's targets
    cli("neighbours")
    cli("augment")
    for condition in params.rsda.names():
        for task in params.rsda.tasks:
            cli("target", "--condition", condition, "--task", task, "--seed", "0")
            cli("evaluate", "--condition", condition, "--task", task, "--seed", "0")
    check_rsda_outputs(params)
    none_meta = read_json(paths.intermediate_dir("none", 0) / "meta.json")
    assert none_meta["encoder"] is None
    multi_meta = read_json(paths.intermediate_dir("multi", 0) / "meta.json")
    assert set(multi_meta["dev"]) == {"qqp", "race"}
    assert sum(multi_meta["task_steps"].values()) == multi_meta["steps"]

    metrics = read_json(paths.eval_metrics("multi", "xnli", 0))
    assert set(metrics["accuracy"]) == set(params.sample_world.languages)
    assert metrics["chance"] == pytest.approx(1 / 3)
    predictions = [
        json.loads(line)
        for line in paths.eval_predictions("multi", "xcopa", 0).read_text().splitlines()
    ]
    assert len(predictions) == sum(metrics["examples"].values())
    assert set(predictions[0]) == {"id", "lang", "gold", "pred", "probs"}
    _, _, meta = load_checkpoint(paths.target_dir("multi", "xnli", 0))
    assert meta["intermediate_tasks"] == ["qqp", "race"]
    check_robustness_outputs(params)
    cli("retrieval-sets")
    for condition in ("none", "multi"):
        cli("retrieve", "--condition", condition, "--seed", "0")
    check_retrieval_outputs(params)

    cli("report")
    report = paths.REPORT.read_text(encoding="utf-8")
    assert "| multi |" in report and "| none |" in report and "### xcopa" in report
    assert "## Answer to the research question" in report
    assert "## Generalized setting: a pair's two texts in two languages" in report
    assert "### xnli: generalized setting (%)" in report and "### xcopa: generalized" not in report
    assert "multi and none" in report or "uninformative for multi vs none" in report
    for plot in ("robustness_drop.png", "attack_budget.png", "attack_budget.csv"):
        assert (paths.REPORT.parent / "plots" / plot).stat().st_size > 0
    summary = strict_load(paths.SUMMARY.read_text(encoding="utf-8"))
    assert set(summary["xnli"]) == {"none", "multi", "none+rsda", "multi+rsda"}
    assert set(summary["xcopa"]) == {"none", "multi"}  # RS-DA trains XNLI and PAWS-X only
    assert "| none+rsda |" in report and "randomized smoothing" in report
    primary = summary["robustness"]["primary"]
    classification = [t for t in params.targets if get_task(t).kind not in ("tagging", "span")]
    assert {(r["task"], r["variant"]) for r in primary} == {
        (t, f"attack:{a}") for t in classification for a in params.robustness.attacks
    }
    assert summary["robustness"]["tagging"]["tasks"] == ["udpos", "panx"]
    assert summary["robustness"]["qa"]["tasks"] == ["xquad"]
    assert "## Question-answering targets: what their numbers are" in report
    assert "### xquad (answer F1 %, no-skill level 0)" in report
    assert summary["robustness"]["generalized_significant"] >= 0
    assert "## Cross-lingual retrieval (encoders only, no target training)" in report
    assert "### BUCC: test F1 % (threshold chosen on dev)" in report
    assert set(summary["retrieval"]["tatoeba_mean"]) == {"none", "multi"}

    # the report reads its runs from params: a run missing on disk is an error, not a gap
    raw = yaml.safe_load(Path("params.yaml").read_text())
    raw["conditions"]["mnli"] = ["mnli"]
    Path("params.yaml").write_text(yaml.safe_dump(raw))
    assert main(["report"]) == 2


def check_retrieval_outputs(params: Params) -> None:
    """The retrieve stage scores each condition's encoder (the base model's for `none`: the
    same vectors as the pretrained encoder's) on every sample language, clean, perturbed and
    attacked; its per-query rows hold what its metrics count."""
    languages = [lang for lang in params.sample_world.languages if lang != "en"]
    none = read_json(paths.retrieve_metrics("none", 0))
    multi = read_json(paths.retrieve_metrics("multi", 0))
    for metrics in (none, multi):
        tatoeba = metrics["tatoeba"]
        assert set(tatoeba["to_english"]) == set(languages)
        assert all(n == params.sample_world.tatoeba_pairs for n in tatoeba["pairs"].values())
        assert set(tatoeba["perturbations"]) == {
            f"{f}@{s:g}" for f in params.robustness.families for s in params.robustness.strengths
        }
        assert set(tatoeba["attacks"]) == set(params.robustness.attacks)
        assert set(metrics["bucc"]["f1"]) == set(languages)
    assert none["tatoeba"] != multi["tatoeba"]  # multi's encoder is its own, not the base's
    rows = read_jsonl(paths.retrieve_rows("multi", 0))
    clean = [r for r in rows if r["variant"] == "clean"]
    assert len(clean) == len(languages) * params.sample_world.tatoeba_pairs
    for lang in languages:
        mine = [r["correct"] for r in clean if r["lang"] == lang]
        assert sum(mine) / len(mine) == pytest.approx(multi["tatoeba"]["to_english"][lang])
    attacked = [r for r in rows if r["variant"] == "attack:typo"]
    assert len(attacked) == len(languages) * params.robustness.attack_examples
    assert all(r["correct"] == (r["rank"] == 1) for r in attacked if r["attacked"])


def check_rsda_outputs(params: Params) -> None:
    """RS-DA's copies replace each English training example (Robust-XLT's numbers of copies);
    its targets train on them from their condition's intermediate model."""
    for task in params.rsda.tasks:
        train = read_jsonl(paths.PREPARED / task / "train.en.jsonl")  # prepared split
        copies = read_jsonl(paths.augmented_set(task, 0))
        assert len(copies) == params.rsda.copies[task] * len(train)
        assert {c["id"].split("~rsda")[0] for c in copies} == {r["id"] for r in train}
        assert any(c["text_a"] != r["text_a"] for c, r in zip(copies, train, strict=False))
    _, _, meta = load_checkpoint(paths.target_dir("multi+rsda", "pawsx", 0))
    assert meta["rsda"] == {"copies": 10, "neighbours": "local"}
    assert meta["intermediate_tasks"] == ["qqp", "race"]
    assert meta["train_examples"] == {"pawsx": len(read_jsonl(paths.augmented_set("pawsx", 0)))}
    metrics = read_json(paths.eval_metrics("none+rsda", "xnli", 0))
    assert set(metrics["accuracy"]) == set(params.sample_world.languages)
    assert set(metrics["attacks"]) == set(params.robustness.attacks)


def check_robustness_outputs(params: Params) -> None:
    """Every condition is evaluated on the same perturbed inputs; every variant and attack has
    metrics per language; manifests hold edits that rebuild the perturbed text."""
    languages = params.sample_world.languages
    perturbed = read_jsonl(paths.perturbed_set("xnli", 0))
    variants = {r["variant"] for r in perturbed if r["family"] != "generalized"}
    assert variants == {f"{f}@0.1" for f in params.robustness.families}
    pairs = {r["variant"] for r in perturbed if r["family"] == "generalized"}
    assert pairs == {f"generalized@{lang}" for lang in languages}
    n = 8 * len(languages)  # test examples in the perturbed subsample
    assert len(perturbed) == len(variants) * n + n * (len(languages) - 1)
    record = next(r for r in perturbed if r["edits"])
    metrics = read_json(paths.eval_metrics("multi", "xnli", 0))
    assert set(metrics["perturbations"]) == variants
    assert set(metrics["generalized"]) == pairs
    assert "generalized" not in read_json(paths.eval_metrics("multi", "xcopa", 0))
    assert set(metrics["attacks"]) == set(params.robustness.attacks)
    for summary in metrics["attacks"].values():
        assert set(summary["languages"]) == set(params.sample_world.languages)
        for lang in summary["languages"].values():
            assert lang["n"] == 3 and 0 <= lang["accuracy"] <= lang["clean_accuracy"]
    rows = {
        c: {
            (r["id"], r["lang"], r["variant"])
            for r in read_jsonl(paths.robust_predictions(c, "xnli", 0))
        }
        for c in ("none", "multi")
    }
    assert (
        rows["none"] == rows["multi"]
        and (record["id"], record["lang"], record["variant"]) in rows["none"]
    )
    attacks = read_jsonl(paths.attack_manifest("multi", "xnli", 0))
    assert len(attacks) == 3 * len(params.sample_world.languages) * len(params.robustness.attacks)
    for row in attacks:
        assert row["attacked"] or not row["correct"]
        if row["attacked"]:
            assert row["queries"] <= params.robustness.attacks[row["attack"]].max_queries
    # XNLI's test sets are parallel: every language's budget is a fraction of the English words
    english = {(r["attack"], r["id"]): r for r in attacks if r["lang"] == "en" and r["attacked"]}
    based = [
        (row, english[row["attack"], row["id"]])
        for row in attacks
        if row["attacked"] and row["lang"] != "en" and (row["attack"], row["id"]) in english
    ]
    assert based and all(row["budget_units"] == en["total_units"] for row, en in based)


def test_bad_inputs_print_one_line_and_exit_2(tmp_path, small_world, monkeypatch, capsys):
    monkeypatch.chdir(setup_run(tmp_path, small_world))
    assert main(["intermediate", "--condition", "nope", "--seed", "0"]) == 2
    assert "condition 'nope' is not in params.yaml" in capsys.readouterr().err
    assert main(["target", "--condition", "none", "--task", "xnli", "--seed", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "xstilts: error:" in err
    (tmp_path / "data").unlink()
    assert main(["prepare"]) == 2
    assert "dvc pull data.dvc" in capsys.readouterr().err


def test_atomic_dir_leaves_nothing_on_failure(tmp_path) -> None:
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "out") as tmp:
        (tmp / "half-written").write_text("x")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_killed_pretraining_leaves_no_output_and_resumes(tmp_path, small_world) -> None:
    run_dir = setup_run(
        tmp_path,
        small_world,
        {"base": {"pretrain": {"max_steps": 600, "checkpoint_every": 25, "eval_every": 300}}},
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    command = [sys.executable, "-m", "xstilts.cli", "pretrain"]
    process = subprocess.Popen(command, cwd=run_dir, env=env, stderr=subprocess.DEVNULL)
    state = run_dir / paths.STATE / "pretrain" / "state.json"
    deadline = time.monotonic() + 120
    while not state.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert state.exists(), "no resume state was written before the kill"
    assert not (run_dir / paths.PRETRAINED).exists(), "a killed run left an output behind"
    output = run_dir / paths.PRETRAINED
    scratch = lambda: list(output.parent.glob(f".{output.name}.*"))  # noqa: E731
    assert scratch(), "the killed stage's temporary directory is what the rerun must clear"
    subprocess.run(command, cwd=run_dir, env=env, check=True, stderr=subprocess.DEVNULL)
    meta = read_json(run_dir / paths.PRETRAINED / "meta.json")
    assert meta["resumed_from"] is not None and meta["steps"] == 600
    assert not (run_dir / paths.STATE / "pretrain").exists()
    assert not scratch(), "the killed run's temporary directory is still next to the output"


def test_target_trains_a_sequence_of_tasks_on_one_head(tmp_path, small_world, monkeypatch):
    """XCOPA's two-step English training (SIQA then COPA in the full profile), here RACE
    (4 choices) then COPA (2 choices) on the sample world: each step is selected on its own
    English dev set, and the target checkpoint records both."""
    updates = {"target": {"train_sequence": {"xcopa": ["race", "copa"]}}}
    monkeypatch.chdir(setup_run(tmp_path, small_world, updates))
    raw = yaml.safe_load(Path("params.yaml").read_text())
    raw["conditions"], raw["targets"] = {"none": []}, ["xcopa"]
    raw["rsda"] = {"conditions": []}
    Path("params.yaml").write_text(yaml.safe_dump(raw))
    cli("prepare")
    assert Path("prepared/copa/train.en.jsonl").exists()
    assert not Path("prepared/xcopa/train.en.jsonl").exists()
    cli("pretrain")
    cli("base")
    cli("intermediate", "--condition", "none", "--seed", "0")
    cli("target", "--condition", "none", "--task", "xcopa", "--seed", "0")
    _, _, meta = load_checkpoint(paths.target_dir("none", "xcopa", 0))
    assert meta["train_sequence"] == ["race", "copa"]
    assert [s["task"] for s in meta["steps_summary"]] == ["race", "copa"]
    assert set(meta["dev"]) == {"copa"} and [h["name"] for h in meta["heads"]] == ["xcopa"]
    assert not (paths.STATE / paths.target_dir("none", "xcopa", 0)).exists()
    cli("lexicons")
    cli("perturb", "--task", "xcopa", "--seed", "0")
    cli("evaluate", "--condition", "none", "--task", "xcopa", "--seed", "0")
    metrics = read_json(paths.eval_metrics("none", "xcopa", 0))
    assert metrics["chance"] == pytest.approx(0.5)
    assert metrics["eval_splits"]["vi"].endswith("tasks/xcopa/vi/test.jsonl")
