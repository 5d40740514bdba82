"""One device choice for every model use: training, loaded checkpoints and the evaluate stage.

The `meta` device stands in for a GPU on CPU-only machines: a model that ends up there went
through the choice, one left on the CPU did not.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import XLMRobertaConfig, XLMRobertaModel

from xstilts.config import ExecutionConfig, LoopConfig, SamplerConfig
from xstilts.errors import XstiltsError
from xstilts.evaluate.checkpoint import Evaluation
from xstilts.modeling.device import DEVICE_VARIABLE, model_device, to_model_device
from xstilts.modeling.model import MultiTaskModel, load_checkpoint
from xstilts.modeling.tokenizer import train_tokenizer
from xstilts.training.loop import Trainer, TrainingRun

from .tiny_models import tiny_model

TASK = "xnli"
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")


def devices(model: torch.nn.Module) -> set[torch.device]:
    return {t.device for t in [*model.parameters(), *model.buffers()]}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny checkpoint with a head for TASK, written by `MultiTaskModel.save`."""
    words = [f"w{i}" for i in range(120)]
    tokenizer = train_tokenizer([" ".join(words[i : i + 9]) for i in range(100)], 150)
    model = tiny_model(tokenizer, [TASK], seed=None, hidden_size=16, intermediate_size=32)
    path = tmp_path_factory.mktemp("device") / "ckpt"
    model.save(path, tokenizer, {"stage": "test", "dev_mean": 0.0})
    return path


def test_the_environment_overrides_the_choice(monkeypatch) -> None:
    monkeypatch.delenv(DEVICE_VARIABLE, raising=False)
    auto = torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu")
    assert model_device() == auto
    monkeypatch.setenv(DEVICE_VARIABLE, "cpu")
    assert model_device() == torch.device("cpu")
    monkeypatch.setenv(DEVICE_VARIABLE, "meta")
    assert model_device() == torch.device("meta")
    monkeypatch.setenv(DEVICE_VARIABLE, "gpu please")
    with pytest.raises(XstiltsError, match=DEVICE_VARIABLE):
        model_device()


@no_cuda
def test_naming_a_missing_gpu_stops_evaluation_and_training(monkeypatch) -> None:
    """No silent CPU fallback, and training asks the same function as evaluation."""
    monkeypatch.setenv(DEVICE_VARIABLE, "cuda")
    with pytest.raises(XstiltsError, match="no CUDA GPU"):
        model_device()
    model = MultiTaskModel(XLMRobertaModel(XLMRobertaConfig(), add_pooling_layer=False), [])
    with pytest.raises(XstiltsError, match="no CUDA GPU"):
        run = TrainingRun(LoopConfig(lr=1e-3, batch_size=1), SamplerConfig(), 1, ExecutionConfig())
        Trainer(model, [], run, 0, "unused")


def test_load_checkpoint_places_the_model_on_the_chosen_device(checkpoint, monkeypatch) -> None:
    monkeypatch.setenv(DEVICE_VARIABLE, "meta")
    model, _, _ = load_checkpoint(checkpoint)
    assert devices(model) == {torch.device("meta")} and not model.training
    model, _, _ = load_checkpoint(checkpoint, device="cpu")  # an explicit device wins
    assert devices(model) == {torch.device("cpu")}
    assert devices(to_model_device(model)) == {torch.device("meta")}


def test_the_evaluate_stage_runs_on_the_chosen_device(checkpoint, tiny_params, monkeypatch):
    monkeypatch.setenv(DEVICE_VARIABLE, "meta")
    ev = Evaluation(tiny_params, TASK, checkpoint)
    assert devices(ev.model) == {torch.device("meta")}
    assert ev.predict.model is ev.model
