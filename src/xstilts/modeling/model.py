"""The shared encoder with one head per task, and its on-disk checkpoint format.

A checkpoint directory holds `encoder/` (the XLM-R encoder, `save_pretrained`, safetensors),
`heads.safetensors`, the tokenizer files and `meta.json` (heads, provenance, metrics). Nothing
is loaded with pickle.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import (
    AutoTokenizer,
    PreTrainedTokenizerBase,
    XLMRobertaForMaskedLM,
    XLMRobertaModel,
)

from xstilts.modeling.device import to_model_device
from xstilts.modeling.heads import ClassificationHead, SpanHead, TokenClassificationHead
from xstilts.modeling.meta import META_FILE, corrupt, read_meta, require_dir
from xstilts.modeling.precision import ATTN_IMPLEMENTATION
from xstilts.tasks import get_task

HEADS_FILE = "heads.safetensors"
# a head per position for these kinds; a sequence head (reading `<s>`) for the others
TOKEN_HEADS: dict[str, type[nn.Module]] = {"tagging": TokenClassificationHead, "span": SpanHead}


@dataclass(frozen=True)
class HeadInfo:
    name: str
    kind: str  # pair | single | choice | tagging | span
    labels: tuple[str, ...] = ()

    @property
    def num_outputs(self) -> int:
        return {"choice": 1, "span": 2}.get(self.kind, len(self.labels))

    def build(self, hidden_size: int, dropout: float) -> nn.Module:
        """A per-token head for tagging and spans, a sequence head (reading `<s>`) for the
        others."""
        head = TOKEN_HEADS.get(self.kind, ClassificationHead)
        return head(hidden_size, self.num_outputs, dropout)

    @classmethod
    def for_task(cls, task: str) -> HeadInfo:
        spec = get_task(task)
        return cls(spec.head_name, spec.kind, spec.labels)


class MultiTaskModel(nn.Module):
    """An XLM-R encoder shared by several task heads; `forward` runs one head.

    `lm_head`, when given, is the pretrained masked-LM head of the encoder (its output
    projection tied to the word embeddings), trained alongside the task heads when a condition
    lists `mlm`. It is not saved: later stages read the encoder and the task heads only."""

    def __init__(
        self,
        encoder: XLMRobertaModel,
        heads: list[HeadInfo],
        lm_head: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.head_info = {head.name: head for head in heads}
        hidden, dropout = encoder.config.hidden_size, encoder.config.hidden_dropout_prob
        self.heads = nn.ModuleDict({h.name: h.build(hidden, dropout) for h in heads})
        self.lm_head = lm_head

    def forward(
        self,
        head: str,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        choice_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits [batch, labels], [batch, choices] when inputs are [batch, choices, len],
        [batch, len, tags] from a tagging head, or [batch, len, 2] (start, end) from a span
        head."""
        shape = input_ids.shape
        if input_ids.dim() == 3:
            input_ids, attention_mask = input_ids.flatten(0, 1), attention_mask.flatten(0, 1)
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        logits = self.heads[head](hidden)
        if len(shape) == 3:
            logits = logits.view(shape[0], shape[1])
            if choice_mask is not None:
                logits = logits.masked_fill(~choice_mask, torch.finfo(logits.dtype).min)
        return logits

    def save(
        self, out_dir: str | Path, tokenizer: PreTrainedTokenizerBase, meta: dict[str, Any]
    ) -> None:
        out_dir = Path(out_dir)
        self.encoder.save_pretrained(out_dir / "encoder", safe_serialization=True)
        state = {k: v.contiguous() for k, v in self.heads.state_dict().items()}
        save_file(state, str(out_dir / HEADS_FILE))
        tokenizer.save_pretrained(out_dir)
        meta = {**meta, "heads": [asdict(h) for h in self.head_info.values()]}
        (out_dir / META_FILE).write_text(
            json.dumps(meta, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
        )


def load_encoder(path: str | Path, dropout: float | None = None) -> XLMRobertaModel:
    """The encoder of a base MLM directory or of a checkpoint's `encoder/` directory."""
    return _from_pretrained(XLMRobertaModel, path, dropout, add_pooling_layer=False)


def load_masked_lm(
    path: str | Path, dropout: float | None = None
) -> tuple[XLMRobertaModel, nn.Module]:
    """The encoder of a base MLM directory and its masked-LM head (output projection tied to
    the encoder's word embeddings, as pretrained)."""
    model, info = _from_pretrained(XLMRobertaForMaskedLM, path, dropout, output_loading_info=True)
    missing = [key for key in info["missing_keys"] if "lm_head" in key]
    if missing:  # transformers would start them at random, as if pretrained
        raise corrupt(path, ValueError(f"no masked-LM head weights ({', '.join(missing)})"))
    return model.roberta, model.lm_head


def _from_pretrained(cls: type, path: str | Path, dropout: float | None, **options: Any) -> Any:
    """`cls.from_pretrained` on a local safetensors directory, `dropout` (when given) replacing
    both dropout rates of its config; a missing or unreadable directory is one error line."""
    require_dir(path)
    if dropout is not None:
        options |= {"hidden_dropout_prob": dropout, "attention_probs_dropout_prob": dropout}
    try:
        return cls.from_pretrained(
            str(path),
            attn_implementation=ATTN_IMPLEMENTATION,
            use_safetensors=True,
            local_files_only=True,
            **options,
        )
    except (OSError, ValueError, SafetensorError) as err:
        raise corrupt(path, err) from None


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerBase:
    require_dir(path)
    try:
        return AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError) as err:
        raise corrupt(path, err) from None


def load_checkpoint(
    path: str | Path, device: torch.device | str | None = None
) -> tuple[MultiTaskModel, PreTrainedTokenizerBase, dict]:
    """Load a checkpoint written by `MultiTaskModel.save` (safetensors only), in eval mode, on
    `device` (default: `model_device()`, the GPU when there is one): evaluation, the attack and
    the demo run the model where it is loaded."""
    path = Path(path)
    meta = read_meta(path)
    heads = [HeadInfo(h["name"], h["kind"], tuple(h["labels"])) for h in meta["heads"]]
    model = MultiTaskModel(load_encoder(path / "encoder"), heads)
    try:
        model.heads.load_state_dict(load_file(str(path / HEADS_FILE)))
    except (OSError, RuntimeError, SafetensorError) as err:
        raise corrupt(path, err) from None
    to_model_device(model, device).eval()
    return model, load_tokenizer(path), meta
