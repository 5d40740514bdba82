"""A model revision the base stage refuses: no safetensors weights (pickled weights are never
loaded). One line naming the model, its revision and the pin to change; nothing written.
Served from a local directory shaped like the hub's model repo."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from xstilts.data import hub
from xstilts.errors import XstiltsError


def test_a_model_revision_without_safetensors_is_one_line_and_writes_nothing(
    tmp_path, monkeypatch
) -> None:
    """A hub-shaped model repo with only pytorch_model.bin: `use_safetensors=True` refuses it
    (pickled weights are not loaded), and the base stage leaves no output behind."""
    import torch
    import transformers
    from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM

    from xstilts.stages.base import run_base

    repo = tmp_path / "xlm-roberta-large"
    config = XLMRobertaConfig(
        vocab_size=50,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=8,
        max_position_embeddings=20,
    )
    config.save_pretrained(repo)
    torch.save(XLMRobertaForMaskedLM(config).state_dict(), repo / "pytorch_model.bin")
    monkeypatch.setattr(hub, "require_hub", lambda what, datasets=False: None)
    tokenizer = SimpleNamespace(save_pretrained=lambda out: None)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", lambda *a, **k: tokenizer)
    base = SimpleNamespace(source="hub", hub_model=str(repo), hub_revision="0" * 40)
    out = tmp_path / "models" / "base"
    with pytest.raises(XstiltsError) as caught:
        run_base(base, tmp_path, tmp_path / "pretrained", out)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"cannot load model {repo}@{'0' * 40}: ")
    assert "model.safetensors" in message and message.endswith(hub.MODEL_PIN_HINT)
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize(
    ("repo_id", "revision"),
    [("FacebookAI/xlm-roberta-large", "0" * 40), ("FacebookAI/xlm-roberta-gone", "1" * 40)],
)
def test_a_model_or_revision_the_hub_does_not_have_names_the_pin(
    tmp_path, repo_id, revision
) -> None:
    """The hub answers that it has no such model or revision (a stand-in hub holding the
    model at another revision, selected with HF_ENDPOINT as a user would): the line says to
    fix the pin, not to go offline."""
    from xstilts.rehearsal.hub_server import StandInServer

    held = tmp_path / "hub" / "models" / "FacebookAI" / "xlm-roberta-large" / ("1" * 40)
    held.mkdir(parents=True)
    (held / "config.json").write_text('{"model_type": "xlm-roberta"}', encoding="utf-8")
    code = (
        "import sys; from xstilts.data.hub import snapshot_model; from xstilts.errors import "
        "XstiltsError\ntry:\n    snapshot_model(*sys.argv[1:])\nexcept XstiltsError as err:\n"
        "    print(err)"
    )
    with StandInServer(tmp_path / "hub") as server:
        env = {**os.environ, "HF_ENDPOINT": server.url, "HF_HOME": str(tmp_path / "hf")}
        env.pop("HF_HUB_OFFLINE", None)
        done = subprocess.run(
            [sys.executable, "-c", code, repo_id, revision, str(tmp_path / "out")],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    message = done.stdout.strip()
    assert "\n" not in message and message.startswith(f"cannot load model {repo_id}@{revision}")
    assert message.endswith(hub.MODEL_REVISION_HINT), message
