"""`xstilts plan`: every run of a profile with its examples, steps and GPU-hours."""

from __future__ import annotations

import math
import re

import pytest
import torch
import yaml
from transformers import XLMRobertaConfig, XLMRobertaModel

from xstilts.cli import main
from xstilts.config import load_params, parse_params
from xstilts.errors import XstiltsError
from xstilts.plan import (
    alternative_params,
    encoder_parameters,
    format_disk,
    format_plan,
    plan_runs,
    state_writes,
)

from .conftest import REPO, deep_update, sample_profile


def test_full_plan_lists_every_run_from_stated_sizes() -> None:
    params = load_params(REPO / "profiles" / "full.yaml")
    runs = plan_runs(params)
    n_cond, n_seed, n_target = len(params.conditions), len(params.seeds), len(params.targets)
    n_rsda = len(params.rsda.conditions) * len(params.rsda.tasks) * n_seed  # none, multi x 2
    assert n_rsda == 12
    assert sum(r.stage == "intermediate" for r in runs) == n_cond * n_seed
    assert sum(r.stage == "evaluate" for r in runs) == n_cond * n_target * n_seed + n_rsda
    # XCOPA is two target runs per (condition, seed): SIQA then COPA
    targets = [r for r in runs if r.stage == "target"]
    assert len(targets) == n_cond * n_seed * (n_target + 1) + n_rsda
    # RS-DA trains on 10 copies of each PAWS-X example, 3 of each XNLI one (Robust-XLT)
    pawsx = next(r for r in targets if r.condition == "multi+rsda" and r.task == "pawsx")
    plain = next(r for r in targets if r.condition == "multi" and r.task == "pawsx")
    assert pawsx.examples == 10 * plain.examples == 10 * 49_401
    xnli = next(r for r in targets if r.condition == "none+rsda" and r.task == "xnli")
    assert xnli.examples == 3 * next(r for r in targets if r.task == "xnli").examples
    multi = next(r for r in runs if r.stage == "intermediate" and r.condition == "multi")
    assert multi.examples == 363_846 + 392_702 + 87_866
    inter = params.intermediate
    assert multi.steps == math.ceil(inter.epochs * multi.examples / inter.batch_size)
    siqa = next(r for r in targets if r.task == "xcopa<-siqa")
    recipe = params.target.training_for("xcopa", "siqa")
    assert siqa.examples == 33_410
    assert siqa.steps == math.ceil(recipe.epochs * 33_410 / recipe.batch_size)
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


def _full_raw() -> dict:
    return yaml.safe_load((REPO / "profiles" / "full.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("profile", ["sample", "full"])
def test_encoder_parameters_match_transformers(profile: str) -> None:
    params = load_params(REPO / "profiles" / f"{profile}.yaml")
    if profile == "full":  # XLM-R Large's config.json
        config = XLMRobertaConfig(
            vocab_size=250_002, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
            intermediate_size=4096, max_position_embeddings=514, type_vocab_size=1,
        )  # fmt: skip
    else:
        arch = params.base.architecture
        config = XLMRobertaConfig(
            vocab_size=params.base.tokenizer.vocab_size, type_vocab_size=1,
            **{k: v for k, v in arch.model_dump().items() if "dropout" not in k},
        )  # fmt: skip
    with torch.device("meta"):
        model = XLMRobertaModel(config, add_pooling_layer=False)
    assert encoder_parameters(params) == sum(p.numel() for p in model.parameters())


def test_state_writes_follow_the_loop() -> None:
    """A write every checkpoint_every steps but none at the last step; the best weights join
    the state once a dev evaluation has run (training/loop.py, training/state.py)."""
    config = load_params(REPO / "profiles" / "full.yaml").target.training
    model_gb = 1e9 / 4  # one GB per model copy
    every = config.model_copy(update={"checkpoint_every": 1000, "eval_every": 1000})
    assert state_writes(1000, every, int(model_gb)) == (0, 0.0)
    assert state_writes(1001, every, int(model_gb)) == (1, 4.0)
    late_eval = every.model_copy(update={"eval_every": 2500})
    writes, gb = state_writes(3001, late_eval, int(model_gb))
    assert writes == 3 and gb == pytest.approx(3 * 4 - 2)  # the first two lack best weights


def test_full_plan_counts_state_writes_and_disk() -> None:
    params = load_params(REPO / "profiles" / "full.yaml")
    runs = plan_runs(params)
    mnli = next(r for r in runs if r.stage == "intermediate" and r.condition == "mnli")
    every = params.intermediate.checkpoint_every
    assert mnli.state_writes == (mnli.steps - 1) // every > 0
    model_gb = encoder_parameters(params) * 4 / 1e9
    assert mnli.state_gb == pytest.approx(mnli.state_writes * 4 * model_gb)
    assert 8.9 < 4 * model_gb < 9.0  # ~9 GB per write at XLM-R Large size
    disk = "\n".join(format_disk(params, runs))
    # every trained intermediate condition and every (condition, target) pair, per seed
    n_seed, n_target = len(params.seeds), len(params.targets)
    trained = sum(1 for tasks in params.conditions.values() if tasks)
    rsda = len(params.rsda.conditions) * len(params.rsda.tasks)
    checkpoints = n_seed * (trained + len(params.conditions) * n_target + rsda)
    # 12 trained conditions, 13 conditions x 7 targets, 2 RS-DA conditions x 2 targets
    assert checkpoints == 3 * (12 + 13 * 7 + 2 * 2)
    assert f"checkpoints   {checkpoints} " in disk
    assert f"{2 * checkpoints * model_gb:,.0f} GB" in disk  # workspace + DVC cache copy
    assert "6.7 GB of GPU memory" in disk


def test_plan_prints_the_alternatives() -> None:
    params = load_params(REPO / "profiles" / "full.yaml")
    assert params.plan.alternatives
    text = format_plan(params, plan_runs(params))
    for name, overrides in params.plan.alternatives.items():
        assert f"alternative '{name}'" in text
        other = alternative_params(params, name)
        for dotted, value in overrides.items():
            node = other.model_dump()
            for key in dotted.split("."):
                node = node[key]
            assert node == value
    bad = parse_params(deep_update(_full_raw(), {"plan": {"alternatives": {"x": {"nope.a": 1}}}}))
    with pytest.raises(XstiltsError, match=r"alternatives\.x"):
        alternative_params(bad, "x")


def test_full_profile_race_micro_batch_fits_a_40gb_gpu() -> None:
    """RACE at 512 tokens: 8 examples (32 sequences) per micro-batch fit a 40 GB GPU with
    XLM-R Large; a whole batch of 32 (128 sequences) fits 80 GB only. Holds for the profile
    and for every alternative the plan prints."""
    params = load_params(REPO / "profiles" / "full.yaml")
    race = __import__("xstilts.tasks", fromlist=["get_task"]).get_task("race").size
    for variant in [params, *(alternative_params(params, n) for n in params.plan.alternatives)]:
        config = variant.intermediate
        per_device = variant.execution.intermediate.per_device_batch_size
        rows = min(config.batch_size, per_device or config.batch_size)
        assert rows * race.sequences * config.max_length_for("race") <= 32 * 512


def test_full_profile_cites_a_source_for_every_hyperparameter() -> None:
    """Each value under intermediate and target says where it comes from, in a comment on its
    line or on the lines continuing it, and no source is a file outside the repository or
    the public repositories named."""
    lines = (REPO / "profiles" / "full.yaml").read_text(encoding="utf-8").splitlines()
    section = None
    for number, line in enumerate(lines):
        if line and not line.startswith((" ", "#")):
            section = line.split(":")[0]
        if section not in ("intermediate", "target") or line.lstrip().startswith("#"):
            continue
        match = re.match(r"\s+([a-z_]+):\s*(\S.*?)?\s*(#.*)?$", line)
        if not match or match.group(2) in (None, "") or match.group(2).startswith("#"):
            continue  # a section header
        comment = match.group(3) or ""
        follow = number + 1
        while follow < len(lines) and re.match(r"\s+#", lines[follow]):
            comment += lines[follow]
            follow += 1
        assert comment, f"profiles/full.yaml:{number + 1}: no source for '{line.strip()}'"
    for path in [REPO / "profiles" / "full.yaml", *(REPO / "src").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "reference/tasks.md" not in text and "tasks.md)" not in text, path
