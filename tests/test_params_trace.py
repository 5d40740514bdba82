"""The params trace notes exactly the keys a run reads, through the sections' own methods too,
and the process writes them at exit when XSTILTS_PARAMS_TRACE asks for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from xstilts.config import Params, TrainingConfig, load_params
from xstilts.params_trace import TRACE_ENV, Trace, view

from .conftest import REPO


def traced() -> tuple[Params, Trace]:
    trace = Trace()
    return view(load_params(REPO / "profiles/sample.yaml"), "", trace), trace


def test_a_leaf_read_is_noted_by_its_dotted_key() -> None:
    params, trace = traced()
    assert params.robustness.alpha == 0.05
    assert params.base.pretrain.max_steps > 0
    assert trace.keys == {"robustness.alpha", "base.pretrain.max_steps"}


def test_a_section_passes_for_its_class_and_its_methods_note_what_they_read() -> None:
    params, trace = traced()
    assert isinstance(params.target, type(load_params(REPO / "profiles/sample.yaml").target))
    recipe = params.target.training_for("xcopa")
    assert isinstance(recipe, TrainingConfig) and recipe.epochs == 8
    # the shared recipe, dumped whole by pydantic, and xcopa's override entry by entry
    assert trace.keys == {"target.training", "target.overrides.xcopa.epochs",
                          "target.overrides.xcopa.lr"}  # fmt: skip


def test_membership_is_not_a_read_but_a_value_is() -> None:
    params, trace = traced()
    assert "multi" in params.conditions and 0 in params.seeds and "xnli" in params.targets
    assert params.condition_names  # the property iterates the mapping's names only
    assert trace.keys == set()
    assert params.conditions["multi"] == ("qqp", "mnli", "race")
    assert list(params.seeds) == [0]
    assert trace.keys == {"conditions.multi", "seeds"}


def test_the_sample_world_dataclass_is_read_field_by_field() -> None:
    params, trace = traced()
    assert params.sample_world.languages[0] == "en"
    assert trace.keys == {"sample_world.languages"}


def test_an_absent_mapping_entry_read_with_get_is_noted() -> None:
    params, trace = traced()
    assert params.target.overrides.get("xnli") is None
    assert trace.keys == {"target.overrides.xnli"}


def test_the_keys_are_written_at_exit_under_the_stage_name(tmp_path) -> None:
    code = (
        "from xstilts.config import load_params\n"
        "p = load_params('profiles/sample.yaml')\n"
        "print(p.evaluate.batch_size, p.robustness.attacks['typo'].max_queries)\n"
    )
    env = {**os.environ, TRACE_ENV: str(tmp_path), "DVC_STAGE": "evaluate@none-xnli-0"}
    subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True)
    (written,) = tmp_path.glob("evaluate@none-xnli-0.*.json")
    assert json.loads(written.read_text()) == [
        "evaluate.batch_size",
        "robustness.attacks.typo.max_queries",
    ]


def test_a_process_outside_a_stage_is_not_traced(tmp_path) -> None:
    """`xstilts repro` loads params to start the stages; its reads belong to no stage."""
    code = "from xstilts.config import load_params\nload_params('profiles/sample.yaml').seeds\n"
    env = {k: v for k, v in os.environ.items() if k != "DVC_STAGE"} | {TRACE_ENV: str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True)
    assert not list(tmp_path.iterdir())


def test_without_the_variable_params_are_the_plain_validated_tree() -> None:
    assert type(load_params(REPO / "profiles/sample.yaml")) is Params
