"""What one task contributes to a training run: its batches, its loss and its dev score.

`TaskObjective` trains a classification or multiple-choice head of a `MultiTaskModel`;
`MaskedLMObjective` pretrains an `XLMRobertaForMaskedLM`, or trains a `MultiTaskModel`'s
masked-LM head beside its task heads (a condition that lists `mlm`). The loop treats them all
alike: `batch` builds a global batch on the host, `weights` counts each row's loss terms (so the
loop can split the batch across processes and micro-steps without changing the mean), `loss` is
the mean over a (micro-)batch, and `evaluate` returns (correct, total) counts for this process's
shard of dev.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from transformers import XLMRobertaForMaskedLM

from xstilts.modeling.encoding import Features, collate, sequence_lengths
from xstilts.modeling.model import MultiTaskModel
from xstilts.modeling.precision import autocast
from xstilts.modeling.predict import predict_features
from xstilts.training.distributed import shard


@dataclass
class TaskObjective:
    name: str
    head: str
    train: Sequence[Features]
    dev: Sequence[Features]
    pad_id: int
    eval_batch_size: int = 128

    @property
    def size(self) -> int:
        return len(self.train)

    def lengths(self) -> list[int]:
        return sequence_lengths(self.train)

    def batch(self, indices: list[int]) -> dict[str, torch.Tensor]:
        return collate([self.train[i] for i in indices], self.pad_id)

    def weights(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.ones(len(batch["labels"]))

    def loss(self, model: MultiTaskModel, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        inputs = {k: v for k, v in batch.items() if k != "labels"}
        return F.cross_entropy(model(self.head, **inputs), batch["labels"])

    def evaluate(
        self, model: MultiTaskModel, rank: int = 0, processes: int = 1, precision: str = "auto"
    ) -> tuple[float, float]:
        dev, real = shard(self.dev, rank, processes)
        probs = predict_features(
            model, self.head, dev, self.pad_id, self.eval_batch_size, precision
        )[:real]
        gold = np.asarray([f["label"] for f in dev[:real]])
        return float((probs.argmax(axis=-1) == gold).sum()), float(real)


MaskedLM = XLMRobertaForMaskedLM | MultiTaskModel


def masked_lm_parts(model: MaskedLM) -> tuple[torch.nn.Module, torch.nn.Module]:
    """(encoder, masked-LM head): pretraining's `XLMRobertaForMaskedLM`, or a `MultiTaskModel`
    that carries its base model's head (MLM co-training during intermediate training)."""
    if isinstance(model, XLMRobertaForMaskedLM):
        return model.roberta, model.lm_head
    if model.lm_head is None:
        raise ValueError("this model has no masked-LM head to train")
    return model.encoder, model.lm_head


@dataclass
class MaskedLMObjective:
    """BERT-style masking (80% <mask>, 10% random, 10% kept) on a random `mask_prob` of the
    non-special tokens. The vocabulary projection runs on masked positions only, which is most
    of the saving on a small model. Masks come from the global torch RNG, which the loop saves
    and restores, so resumed runs mask identically."""

    train: Sequence[Features]
    dev: Sequence[Features]
    pad_id: int
    mask_id: int
    vocab_size: int
    special_ids: tuple[int, ...]
    mask_prob: float = 0.15
    name: str = "mlm"

    @property
    def size(self) -> int:
        return len(self.train)

    def lengths(self) -> list[int]:
        return sequence_lengths(self.train)

    def batch(self, indices: list[int]) -> dict[str, torch.Tensor]:
        return self._mask(collate([self.train[i] for i in indices], self.pad_id))

    def weights(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return (batch["labels"] != -100).sum(dim=1).float()

    def _mask(self, batch: dict[str, torch.Tensor], generator=None) -> dict[str, torch.Tensor]:
        ids = batch["input_ids"]
        candidates = batch["attention_mask"].bool()
        for special in self.special_ids:
            candidates &= ids != special
        draw = torch.rand(ids.shape, generator=generator)
        chosen = candidates & (draw < self.mask_prob)
        labels = torch.where(chosen, ids, torch.full_like(ids, -100))
        action = torch.rand(ids.shape, generator=generator)
        random_ids = torch.randint(
            len(self.special_ids), self.vocab_size, ids.shape, generator=generator
        )
        ids = torch.where(chosen & (action < 0.8), torch.full_like(ids, self.mask_id), ids)
        ids = torch.where(chosen & (action >= 0.8) & (action < 0.9), random_ids, ids)
        return {"input_ids": ids, "attention_mask": batch["attention_mask"], "labels": labels}

    def _masked_logits(self, model: MaskedLM, batch: dict[str, torch.Tensor]):
        encoder, lm_head = masked_lm_parts(model)
        hidden = encoder(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        ).last_hidden_state
        chosen = batch["labels"] != -100
        return lm_head(hidden[chosen]), batch["labels"][chosen]

    def loss(self, model: MaskedLM, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        logits, labels = self._masked_logits(model, batch)
        if labels.numel() == 0:  # a stand-in micro-batch with nothing masked: zero, with a graph
            return logits.sum() * 0.0
        return F.cross_entropy(logits, labels)

    @torch.inference_mode()
    def evaluate(
        self,
        model: MaskedLM,
        rank: int = 0,
        processes: int = 1,
        precision: str = "auto",
    ) -> tuple[float, float]:
        """Masked-token accuracy counts on the dev lines, with a fixed mask (comparable across
        evals). Every process draws every batch's mask; each scores its own share of batches."""
        was_training = model.training
        model.eval()
        generator = torch.Generator().manual_seed(1234)
        batches = [
            self._mask(collate(self.dev[start : start + 128], self.pad_id), generator)
            for start in range(0, len(self.dev), 128)
        ]
        mine, real = shard(batches, rank, processes)
        correct = total = 0
        device = next(model.parameters()).device
        for number, batch in enumerate(mine):
            with autocast(precision, device):
                logits, labels = self._masked_logits(
                    model, {k: v.to(device) for k, v in batch.items()}
                )
            if number < real:
                correct += int((logits.argmax(-1) == labels).sum())
                total += int(labels.numel())
        model.train(was_training)
        return float(correct), float(total)
