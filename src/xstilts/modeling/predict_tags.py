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
from xstilts.modeling.segmented import forward_inputs
from xstilts.modeling.tagged_inputs import EncodedTags, encode_tagged


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
    wanted = sorted({s for segments in grouped for s in segments})
    pending = [
        (chunk, torch.softmax(logits.float(), dim=-1))
        for chunk, logits in forward_inputs(
            model, head, encoded, wanted, pad_id, batch_size, precision
        )
    ]  # the host reads them after the last batch is queued: no sync per batch
    per_segment: dict[int, np.ndarray] = {}
    for chunk, probs in pending:
        host = probs.cpu().numpy()
        for row, segment in enumerate(chunk):
            where = encoded.positions[encoded.words[segment] : encoded.words[segment + 1]]
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
