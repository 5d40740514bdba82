"""A model revision the base stage refuses: no safetensors weights (pickled weights are never
loaded). One line naming the model, its revision and the pin to change; nothing written.
Served from a local directory shaped like the hub's model repo."""

from __future__ import annotations

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
        run_base(base, tmp_path / "corpus", out, tmp_path / "state")
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"cannot load model {repo}@{'0' * 40}: ")
    assert "model.safetensors" in message and message.endswith(hub.MODEL_PIN_HINT)
    assert list(out.parent.iterdir()) == []
