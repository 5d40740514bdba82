"""Tag probabilities per word, through the same batching as classification (length-sorted
segments, dynamic padding, bf16 autocast on a GPU): read at each word's first sub-token, and an
example's segments joined back in order."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from xstilts.examples import TaggedExample
from xstilts.modeling.model import MultiTaskModel
from xstilts.modeling.precision import autocast
from xstilts.modeling.tagged_inputs import EncodedTags, collate_tagged, encode_tagged


@torch.inference_mode()
def predict_tag_probs(
    model: MultiTaskModel,
    head: str,
    encoded: EncodedTags,
    pad_id: int,
    batch_size: int = 128,
    precision: str = "auto",
    examples: Sequence[int] | None = None,
) -> list[np.ndarray]:
    """One array [words, tags] of probabilities per example (of `examples`, by index, in that
    order, when given)."""
    grouped = encoded.grouped
    if examples is not None:
        grouped = [grouped[e] for e in examples]
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    lengths = encoded.lengths()
    wanted = sorted({s for segments in grouped for s in segments})
    order = sorted(wanted, key=lambda i: lengths[i])
    pending: list[tuple[list[int], list[list[int]], torch.Tensor]] = []
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        features = [encoded[i] for i in chunk]
        batch = collate_tagged(features, pad_id)
        inputs = {
            k: batch[k].to(device, non_blocking=True) for k in ("input_ids", "attention_mask")
        }
        with autocast(precision, device):
            logits = model(head, **inputs)
        positions = [f["word_positions"] for f in features]
        pending.append((chunk, positions, torch.softmax(logits.float(), dim=-1)))
    model.train(was_training)
    per_segment: dict[int, np.ndarray] = {}
    for chunk, positions, probs in pending:
        host = probs.cpu().numpy()
        for row, (segment, where) in enumerate(zip(chunk, positions, strict=True)):
            per_segment[segment] = host[row, where]
    width = model.head_info[head].num_outputs
    return [
        np.concatenate([per_segment[s] for s in segments]).reshape(-1, width)
        for segments in grouped
    ]


def predict_tags(
    model: MultiTaskModel,
    tokenizer: PreTrainedTokenizerBase,
    head: str,
    examples: list[TaggedExample],
    max_length: int = 128,
    batch_size: int = 128,
    precision: str = "auto",
) -> list[np.ndarray]:
    """Probabilities [words, tags] per typed example (their gold tags are ignored)."""
    encoded = encode_tagged(examples, tokenizer, max_length)
    return predict_tag_probs(model, head, encoded, tokenizer.pad_token_id, batch_size, precision)
