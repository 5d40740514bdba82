"""The one prediction path shared by evaluation, training-time dev scoring, the attack and
the app: examples in, class (or choice) probabilities out.

Inputs are sorted by length and batched with dynamic padding; the output keeps input order.
Batches are queued on the device without waiting for each result (no per-batch host sync); on a
CUDA GPU `precision="auto"` runs the encoder under bf16 autocast.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from xstilts.examples import Example
from xstilts.modeling.encoding import Features, collate, encode, sequence_lengths
from xstilts.modeling.model import MultiTaskModel
from xstilts.modeling.precision import autocast


@torch.inference_mode()
def predict_features(
    model: MultiTaskModel,
    head: str,
    features: Sequence[Features],
    pad_id: int,
    batch_size: int = 128,
    precision: str = "auto",
) -> np.ndarray:
    """Probabilities [n, labels or choices] for encoded features."""
    if not features:
        return np.zeros((0, 0), dtype=np.float32)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    lengths = sequence_lengths(features)
    order = sorted(range(len(features)), key=lambda i: lengths[i])
    pending: list[tuple[list[int], torch.Tensor]] = []
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        batch = collate([features[i] for i in chunk], pad_id)
        batch.pop("labels")
        inputs = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
        with autocast(precision, device):
            logits = model(head, **inputs)
        pending.append((chunk, torch.softmax(logits.float(), dim=-1)))
    model.train(was_training)
    outputs: list[np.ndarray] = [np.empty(0)] * len(features)
    for chunk, probs in pending:
        for index, row in zip(chunk, probs.cpu().numpy(), strict=True):
            outputs[index] = row
    width = max(len(p) for p in outputs)
    return np.stack([np.pad(p, (0, width - len(p))) for p in outputs])


def predict(
    model: MultiTaskModel,
    tokenizer: PreTrainedTokenizerBase,
    head: str,
    examples: list[Example],
    max_length: int = 256,
    batch_size: int = 128,
    precision: str = "auto",
) -> np.ndarray:
    """Probabilities [n, labels or choices] for typed examples (labels are ignored)."""
    features = encode(examples, tokenizer, max_length)
    return predict_features(model, head, features, tokenizer.pad_token_id, batch_size, precision)


def accuracy(probs: np.ndarray, labels: list[int]) -> float:
    return float((probs.argmax(axis=-1) == np.asarray(labels)).mean()) if labels else 0.0
