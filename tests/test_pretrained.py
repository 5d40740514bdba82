"""The pretrained sample encoder: the tracked one (pretrained/, pulled with `dvc pull
pretrained.dvc`) reads its context and aligns the languages, a short regeneration reproduces
what it records, and the `base` stage installs only an intact encoder made with params.yaml's
settings from the current corpus."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from transformers import AutoTokenizer, XLMRobertaForMaskedLM

from xstilts.cli import main
from xstilts.config import ExecutionConfig, Params, load_params, parse_params
from xstilts.errors import XstiltsError
from xstilts.io import read_json
from xstilts.pretraining import artifact
from xstilts.pretraining.mlm import pretrain_encoder, probe, short_check
from xstilts.stages.base import run_base

from .conftest import REPO, TINY_RUN, deep_update, sample_profile

TRACKED = REPO / "pretrained"


@pytest.fixture(scope="module")
def tracked() -> dict:
    if not (TRACKED / "meta.json").exists():
        pytest.fail("pretrained/ missing: run `dvc pull pretrained.dvc`")
    return read_json(TRACKED / "meta.json")


def test_the_tracked_encoder_reads_its_context_and_aligns_the_languages(tracked) -> None:
    """Copy probe: a masked token is found when a copy of its line stands in the input, far
    more often than from the line alone. Translation retrieval on the XNLI-shaped test premises
    (300 per language, chance 0.3%) is far above chance in every language. Recomputed here, the
    numbers equal the recorded ones."""
    measured = probe(TRACKED, REPO / "data")
    assert measured == tracked["probes"]
    copy = measured["copy"]
    assert copy["after a copy of itself"] >= 0.90
    assert copy["after a copy of itself"] >= copy["line alone"] + 0.20
    retrieval = measured["translation_retrieval"]
    assert set(retrieval) == {"vi", "ru", "ar", "hi", "zh"}
    assert min(retrieval.values()) >= 0.5, retrieval


def test_the_tracked_encoder_matches_params_and_corpus(tracked) -> None:
    params = load_params(REPO / "params.yaml")
    meta = artifact.verify(TRACKED, params.base, REPO / "data" / "corpus")
    assert meta == tracked and meta["steps"] == params.base.pretrain.max_steps


def test_a_short_regeneration_reproduces_the_recorded_check(tracked) -> None:
    """The recipe cut to its first steps, from the tracked corpus and params: the tokenizer is
    byte-identical, and the weights equal the recorded ones (byte for byte on the CPU kind that
    made them; on another, every tensor's sum and sum of squares agree to float rounding)."""
    params = load_params(REPO / "params.yaml")
    check = short_check(params.base, ExecutionConfig(), REPO / "data" / "corpus")
    recorded = tracked["check"]
    assert check["max_steps"] == recorded["max_steps"]
    weights = "model.safetensors"
    assert {k: v for k, v in check["files"].items() if k != weights} == {
        k: v for k, v in recorded["files"].items() if k != weights
    }
    if check["files"][weights] != recorded["files"][weights]:
        assert check["weights"].keys() == recorded["weights"].keys()
        for name, sums in check["weights"].items():
            for got, want in zip(sums, recorded["weights"][name], strict=True):
                assert math.isclose(got, want, rel_tol=1e-4, abs_tol=1e-4), name


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory, small_world: Path) -> tuple[Params, Path]:
    params = parse_params(deep_update(sample_profile(), TINY_RUN))
    out = tmp_path_factory.mktemp("tiny") / "pretrained"
    pretrain_encoder(params.base, ExecutionConfig(), small_world, out, out.parent / "state")
    return params, out


def test_pretraining_twice_gives_the_same_bytes(tiny, small_world, tmp_path) -> None:
    params, first = tiny
    again = tmp_path / "again"
    pretrain_encoder(params.base, ExecutionConfig(), small_world, again, tmp_path / "state")
    assert artifact.compare(first, again).startswith("regenerated encoder is byte-identical")
    (again / "train.log").write_text("another run\n", encoding="utf-8")
    with pytest.raises(XstiltsError) as caught:
        artifact.compare(first, again)
    message = str(caught.value)
    assert message.count("sha256 ") == 2 and message.endswith("in train.log")
    assert artifact.tree_digest(first) in message and artifact.tree_digest(again) in message


def test_base_installs_the_encoder_it_was_given(tiny, small_world, tmp_path) -> None:
    params, pretrained = tiny
    out = tmp_path / "models" / "base"
    meta = run_base(params.base, small_world, pretrained, out)
    assert meta["source"] == "pretrain" and read_json(out / "meta.json") == meta
    for rel, sha in read_json(pretrained / "meta.json")["files"].items():
        assert artifact.sha256_file(out / rel) == sha
    model = XLMRobertaForMaskedLM.from_pretrained(out, use_safetensors=True)
    assert model.config.hidden_size == params.base.architecture.hidden_size
    assert len(AutoTokenizer.from_pretrained(out)) == model.config.vocab_size


def refused(params: Params, world: Path, pretrained: Path, out: Path) -> str:
    with pytest.raises(XstiltsError) as caught:
        run_base(params.base, world, pretrained, out)
    assert not out.exists(), "a refused encoder was installed"
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_base_refuses_a_missing_damaged_or_mismatched_encoder(tiny, small_world, tmp_path):
    params, pretrained = tiny
    out = tmp_path / "models" / "base"
    message = refused(params, small_world, tmp_path / "absent", out)
    assert "dvc pull pretrained.dvc" in message and "make pretrained" in message
    damaged = shutil.copytree(pretrained, tmp_path / "damaged")
    weights = damaged / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-8] + b"\0" * 8)
    message = refused(params, small_world, damaged, out)
    assert "model.safetensors is damaged" in message
    assert artifact.sha256_file(weights) in message and "dvc pull --force" in message
    steps = params.base.pretrain.max_steps
    longer = params.base.pretrain.model_copy(update={"max_steps": steps + 1})
    other = params.model_copy(update={"base": params.base.model_copy(update={"pretrain": longer})})
    message = refused(other, small_world, pretrained, out)
    assert f"base.pretrain.max_steps is {steps + 1} but" in message and f"with {steps}" in message
    world = shutil.copytree(small_world, tmp_path / "world")
    with (world / "corpus" / "en.txt").open("a", encoding="utf-8") as corpus:
        corpus.write("One more line.\n")
    message = refused(params, world, pretrained, out)
    assert "is not the corpus" in message and "make pretrained" in message


def test_the_base_command_says_how_to_get_a_missing_encoder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    shutil.copy(REPO / "params.yaml", "params.yaml")
    assert main(["base"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("xstilts: error: the pretrained sample encoder pretrained/ is missing")
    assert "dvc pull pretrained.dvc" in line
