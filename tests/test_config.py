"""params.yaml validation: bad values stop the run with one line naming the key."""

from __future__ import annotations

import pytest
import yaml

from xstilts.config import load_params, parse_params
from xstilts.data.prepared import planned_splits, training_tasks
from xstilts.errors import XstiltsError

from .conftest import REPO, deep_update, sample_profile


def test_shipped_profiles_are_valid_and_params_yaml_is_the_sample_profile() -> None:
    assert load_params(REPO / "profiles" / "full.yaml").profile == "full"
    assert load_params(REPO / "profiles" / "sample.yaml").profile == "sample"
    shipped = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    assert shipped == sample_profile(), "a fresh clone must run the sample profile"


@pytest.mark.parametrize("profile", ["sample", "full"])
def test_a_run_shrunk_to_one_target_keeps_the_others_settings_inert(profile: str) -> None:
    """`dvc exp run -S 'targets=[xnli]'` needs no edit of the XCOPA overrides or train sequence:
    they stay valid and nothing of them is planned."""
    raw = yaml.safe_load((REPO / "profiles" / f"{profile}.yaml").read_text(encoding="utf-8"))
    params = parse_params({**raw, "targets": ["xnli"]})
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
        ({"base": {"pretrain": {"stepz": 3}}}, "allowed: max_steps, batch_size"),
        ({"sample_world": {"seedz": 1}}, "unknown key 'sample_world.seedz'; allowed: seed,"),
        ({"sample_world": {"qqp_train": 0}}, "qqp_train must be a positive int"),
        (
            {"conditions": {"none": [], "multi": ["qqp", "mnlii"]}},
            "conditions.multi: unknown intermediate task 'mnlii'; known: anli_plus,",
        ),
        ({"targets": ["xnli", "tydiqa"]}, "unknown target task 'tydiqa'"),
        ({"profile": "huge"}, "profile = 'huge'"),
        ({"seeds": [1, 1]}, "distinct"),
        ({"intermediate": {"epochs": 2}}, "set exactly one of 'epochs' or 'max_steps'"),
        ({"target": {"overrides": {"xcopa": {"lr": 0}}}}, "greater than 0"),
        ({"base": {"architecture": {"hidden_size": 130}}}, "divisible"),
        (
            {"intermediate": {"execution": {"fsdp": True, "compile": True}}},
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
            {"target": {"train_sequence": {"tydiqa": ["copa"]}}},
            "target.train_sequence.tydiqa: unknown target task; known: ",
        ),
        ({"target": {"overrides": {"siqa": {"epochs": 1}}}}, "nor a train_sequence step"),
        ({"target": {"overrides": {"xnil": {"epochs": 1}}}}, "neither a target task (pawsx"),
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
