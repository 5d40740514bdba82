"""`xstilts plan`: every run of a profile with its examples, steps and GPU-hours."""

from __future__ import annotations

import math

from xstilts.cli import main
from xstilts.config import load_params, parse_params
from xstilts.plan import format_plan, plan_runs

from .conftest import REPO, deep_update, sample_profile


def test_full_plan_lists_every_run_from_stated_sizes() -> None:
    params = load_params(REPO / "profiles" / "full.yaml")
    runs = plan_runs(params)
    n_cond, n_seed, n_target = len(params.conditions), len(params.seeds), len(params.targets)
    assert sum(r.stage == "intermediate" for r in runs) == n_cond * n_seed
    assert sum(r.stage == "evaluate" for r in runs) == n_cond * n_target * n_seed
    # XCOPA is two target runs per (condition, seed): SIQA then COPA
    targets = [r for r in runs if r.stage == "target"]
    assert len(targets) == n_cond * n_seed * (n_target + 1)
    multi = next(r for r in runs if r.stage == "intermediate" and r.condition == "multi")
    assert multi.examples == 363_846 + 392_702 + 87_866
    assert multi.steps == math.ceil(multi.examples / 32)
    siqa = next(r for r in targets if r.task == "xcopa<-siqa")
    assert siqa.examples == 33_410 and siqa.steps == math.ceil(2 * 33_410 / 32)
    assert all(r.gpu_hours > 0 for r in runs if r.steps)
    text = format_plan(params, runs)
    assert "total intermediate" in text and "130,000 training tokens/s" in text


def test_subsampling_switches_shrink_the_plan() -> None:
    raw = deep_update(
        __import__("yaml").safe_load((REPO / "profiles" / "full.yaml").read_text()),
        {"data": {"max_train_examples": 2000, "languages": ["en", "sw"]}, "seeds": [0]},
    )
    runs = plan_runs(parse_params(raw))
    multi = next(r for r in runs if r.stage == "intermediate" and r.condition == "multi")
    assert multi.examples == 3 * 2000
    xnli = next(r for r in runs if r.stage == "evaluate" and r.task == "xnli")
    assert xnli.examples == 2 * 5_010


def test_sample_plan_counts_data_rows(small_world, capsys) -> None:
    params = parse_params(deep_update(sample_profile(), {"data": {"root": str(small_world)}}))
    runs = plan_runs(params)
    qqp = next(r for r in runs if r.stage == "intermediate" and r.condition == "qqp")
    assert qqp.examples == 300 and qqp.steps == params.intermediate.max_steps
    params_file = REPO / "profiles" / "sample.yaml"
    assert main(["--params", str(params_file), "plan"]) == 0
    assert "total target" in capsys.readouterr().out
