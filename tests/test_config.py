"""params.yaml validation: bad values stop the run with one line naming the key."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
import yaml
from pydantic import BaseModel

from xstilts.cli import main
from xstilts.config import Params, load_params, parse_params, render_params
from xstilts.data.prepared import planned_splits, training_tasks
from xstilts.errors import XstiltsError

from .conftest import REPO, deep_update, sample_profile


def test_shipped_profiles_are_valid_and_params_yaml_is_the_sample_profile() -> None:
    assert load_params(REPO / "profiles" / "full.yaml").profile == "full"
    assert load_params(REPO / "profiles" / "sample.yaml").profile == "sample"
    shipped = (REPO / "params.yaml").read_text(encoding="utf-8")
    expected = render_params(load_params(REPO / "profiles" / "sample.yaml"), "sample")
    assert shipped == expected, (
        "a fresh clone must run the sample profile: `xstilts profile sample`"
    )


def leaf_keys(model: Any, prefix: str = "") -> list[str]:
    """The dotted key of every leaf field of a model (or dataclass), recursively."""
    fields = getattr(model, "model_fields", None) or {f.name: f for f in dataclasses.fields(model)}
    keys = []
    for name, field in fields.items():
        annotation = getattr(field, "annotation", None) or field.type
        key = f"{prefix}{name}"
        if get_origin(annotation) is dict:  # e.g. attacks: every entry has every leaf
            value = get_args(annotation)[1]
            keys += leaf_keys(value, f"{key}.*.") if _is_section(value) else [key]
            continue
        nested = [a for a in (annotation, *get_args(annotation)) if _is_section(a)]
        keys += leaf_keys(nested[0], f"{key}.") if nested else [key]
    return keys


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and (
        issubclass(annotation, BaseModel) or dataclasses.is_dataclass(annotation)
    )


def lookup(tree: Any, dotted: str, whole: str = "") -> None:
    """Fail unless `tree` holds the dotted key (`*`: in every entry of a mapping)."""
    part, _, rest = dotted.partition(".")
    assert isinstance(tree, dict), f"params.yaml: '{whole or dotted}' is not a mapping"
    nodes = list(tree.values()) if part == "*" else [tree.get(part, KeyError)]
    for node in nodes:
        assert node is not KeyError, f"params.yaml lacks '{whole or dotted}'"
        if rest:
            lookup(node, rest, whole or dotted)


@pytest.mark.parametrize("profile", ["sample", "full"])
def test_xstilts_profile_writes_every_typed_key_and_round_trips(profile: str, tmp_path) -> None:
    """params.yaml is the whole resolved run description (DVC tracks only keys written there):
    every leaf of the typed model is written, and reading it back gives the profile's Params."""
    (tmp_path / "profiles").symlink_to(REPO / "profiles")
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        assert main(["profile", profile]) == 0
    finally:
        os.chdir(cwd)
    written = (tmp_path / "params.yaml").read_text(encoding="utf-8")
    assert written.startswith("# params.yaml") and f"profiles/{profile}.yaml" in written
    tree = yaml.safe_load(written)
    keys = leaf_keys(Params)
    assert "base.pretrain.lr" in keys and "execution.target.fsdp" in keys
    assert "sample_world.qqp_train" in keys and "robustness.attacks.*.beam_width" in keys
    for key in keys:
        lookup(tree, key)
    assert parse_params(tree) == load_params(REPO / "profiles" / f"{profile}.yaml")


@pytest.mark.parametrize("profile", ["sample", "full"])
def test_a_run_shrunk_to_one_target_keeps_the_others_settings_inert(profile: str) -> None:
    """`dvc exp run -S 'targets=[xnli]' -S 'rsda.tasks=[xnli]'` needs no edit of the XCOPA
    overrides or train sequence: they stay valid and nothing of them is planned."""
    raw = yaml.safe_load((REPO / "profiles" / f"{profile}.yaml").read_text(encoding="utf-8"))
    # RS-DA's tasks name DVC stages of their own (dvc.yaml's matrix over them), so a target
    # left out must leave them too, and the error says so
    with pytest.raises(XstiltsError, match=r"rsda\.tasks: 'pawsx' is not a target"):
        parse_params({**raw, "targets": ["xnli"]})
    shrunk = {**raw, "targets": ["xnli"], "rsda": {**raw["rsda"], "tasks": ["xnli"]}}
    params = parse_params(shrunk)
    assert params.targets == ("xnli",)
    assert "xcopa" in {*params.target.overrides, *params.target.train_sequence}
    tasks = training_tasks(params)
    assert "xnli" in tasks and not {"xcopa", "siqa", "copa"} & set(tasks)
    assert {key.task for key in planned_splits(params)} == {*tasks}


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ({"intermediate": {"lr": -1}}, "intermediate.lr = -1: Input should be greater than 0"),
        ({"intermediate": {"lerning_rate": 1e-5}}, "unknown key 'intermediate.lerning_rate'"),
        ({"base": {"pretrain": {"stepz": 3}}}, "allowed: lr, weight_decay, adam_eps"),
        ({"sample_world": {"seedz": 1}}, "unknown key 'sample_world.seedz'; allowed: seed,"),
        ({"sample_world": {"qqp_train": 0}}, "qqp_train must be a positive int"),
        (
            {"conditions": {"none": [], "multi": ["qqp", "mnlii"]}},
            "conditions.multi: unknown intermediate task 'mnlii'; known: anli_plus,",
        ),
        ({"targets": ["xnli", "mewslix"]}, "unknown target task 'mewslix'"),
        ({"profile": "huge"}, "profile = 'huge'"),
        ({"seeds": [1, 1]}, "distinct"),
        ({"intermediate": {"epochs": 2}}, "set exactly one of 'epochs' or 'max_steps'"),
        ({"target": {"overrides": {"xcopa": {"lr": 0}}}}, "greater than 0"),
        ({"base": {"architecture": {"hidden_size": 130}}}, "divisible"),
        (
            {"execution": {"intermediate": {"fsdp": True, "compile": True}}},
            "compile and fsdp cannot both be true",
        ),
    ],
)
def test_bad_values_give_one_clear_error(update: dict, message: str) -> None:
    with pytest.raises(XstiltsError) as caught:
        parse_params(deep_update(sample_profile(), update))
    assert message in str(caught.value)
    assert "Traceback" not in str(caught.value)


def test_baseline_condition_is_required() -> None:
    raw = sample_profile()
    raw["conditions"] = {"qqp": ["qqp"]}
    with pytest.raises(XstiltsError, match=r"must include the baseline 'none: \[\]'"):
        parse_params(raw)


def test_missing_section_is_named() -> None:
    raw = sample_profile()
    del raw["intermediate"]
    with pytest.raises(XstiltsError, match="missing key 'intermediate'"):
        parse_params(raw)


def test_missing_or_broken_file(tmp_path) -> None:
    with pytest.raises(XstiltsError, match="not found"):
        load_params(tmp_path / "params.yaml")
    (tmp_path / "params.yaml").write_text("seeds: [0\n", encoding="utf-8")
    with pytest.raises(XstiltsError, match="not valid YAML"):
        load_params(tmp_path / "params.yaml")


def test_target_overrides_merge_over_defaults() -> None:
    raw = sample_profile()
    params = parse_params(raw)
    assert (
        params.target.training_for("xcopa").epochs == raw["target"]["overrides"]["xcopa"]["epochs"]
    )
    assert params.target.training_for("xnli").epochs == params.target.training.epochs


@pytest.mark.parametrize(
    ("update", "message"),
    [
        (
            {"target": {"train_sequence": {"xcopa": ["siqaa"]}}},
            "target.train_sequence.xcopa: unknown training task 'siqaa'",
        ),
        (
            {"target": {"train_sequence": {"xnli": ["race"]}}},
            "'race' (choice, labels ()) cannot train the head of 'xnli'",
        ),
        (
            {"target": {"train_sequence": {"mewslix": ["copa"]}}},
            "target.train_sequence.mewslix: unknown target task; known: ",
        ),
        ({"target": {"overrides": {"siqa": {"epochs": 1}}}}, "nor a train_sequence step"),
        ({"target": {"overrides": {"xnil": {"epochs": 1}}}}, "neither a target task (mlqa, panx"),
        ({"data": {"languages": ["en", "xx"]}}, "data.languages: 'xx' is not a language"),
        ({"plan": {"tokens_per_second": 0}}, "plan.tokens_per_second = 0"),
        (
            {"robustness": {"families": ["keyboard", "tyop"]}},
            "robustness.families: unknown perturbation family 'tyop'; known: char_delete",
        ),
        (
            {"robustness": {"attacks": {"typo": {"families": ["homoglyf"]}}}},
            "robustness.attacks.typo.families: unknown perturbation family 'homoglyf'",
        ),
        ({"robustness": {"strengths": [1.5]}}, "robustness.strengths.0 = 1.5"),
        ({"robustness": {"attacks": {"typo": {"max_queries": 0}}}}, "max_queries = 0"),
        ({"robustness": {"lexicons": "web"}}, "robustness.lexicons = 'web'"),
    ],
)
def test_bad_target_sequences_languages_and_plan_values(update: dict, message: str) -> None:
    with pytest.raises(XstiltsError) as caught:
        parse_params(deep_update(sample_profile(), update))
    assert message in str(caught.value)


def test_a_target_left_without_languages_is_refused() -> None:
    """In the full profile each target has its own languages: restricting them to English and
    German would leave XCOPA (no en, no de) trained for nothing."""
    raw = yaml.safe_load((REPO / "profiles" / "full.yaml").read_text(encoding="utf-8"))
    with pytest.raises(XstiltsError, match=r"keeps none of target xcopa's languages \(et, ht"):
        parse_params(deep_update(raw, {"data": {"languages": ["en", "de"]}}))
    parse_params(deep_update(raw, {"data": {"languages": ["en", "de", "sw"]}}))


def test_full_profile_trains_xcopa_in_two_steps_and_the_sample_in_one() -> None:
    full = load_params(REPO / "profiles" / "full.yaml")
    steps = full.target.steps_for("xcopa")
    assert [task for task, _ in steps] == ["siqa", "copa"]
    # google-research/xtreme scripts/train_xcopa.sh (xlm-roberta-large): both steps alike
    for _, recipe in steps:
        assert (recipe.lr, recipe.epochs, recipe.max_length) == (3e-5, 5, 128)
        assert recipe.batch_size == 32  # BATCH_SIZE=2 x GRAD_ACC=16
        assert recipe.weight_decay == 0 and recipe.warmup_ratio == 0 and recipe.patience is None
    assert [t for t, _ in full.target.steps_for("xnli")] == ["xnli"]
    sample = load_params(REPO / "profiles" / "sample.yaml")
    assert [t for t, _ in sample.target.steps_for("xcopa")] == ["xcopa"]
    assert full.intermediate.max_length_for("race") == 512
    assert len(full.seeds) >= 3 and {"none", "multi", "all"} <= set(full.conditions)
