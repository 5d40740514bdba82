"""Sentence vectors pooled from one hidden layer of an encoder, as XTREME's retrieval scripts
make them (`third_party/evaluate_retrieval.py`).

- Tatoeba: the mean over every position the attention mask keeps (special tokens included:
  the script's `pool_skip_special_token` is off by default) of the output of the layer it calls
  `specific_layer` 13 for XLM-R large and 7 for 12-layer models. That index counts transformer
  layers from 0 over the last `num_layers` hidden states, so it is `hidden_states[14]` of 25
  and `hidden_states[8]` of 13: for either depth, layer L/2 + 2 counting the embeddings as 0
  (`middle_layer`).
- BUCC: the first token's vector (`--pool_type cls`) of `specific_layer` 7, `hidden_states[8]`,
  for every model.

Sentences are encoded alone (no pair), truncated at `max_length`, in batches of sentences of
similar length (sorted by token count) padded to their own longest sentence; padding never
reaches a vector (the mean is over kept positions, and the first token is never padding), so a
sentence's vector does not depend on its batch beyond float rounding (measured: at most 1e-6).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

Pool = Literal["mean", "cls"]
POOLS: tuple[str, ...] = ("mean", "cls")


def middle_layer(num_hidden_layers: int) -> int:
    """The hidden state XTREME's Tatoeba script pools for a model of this depth (see above),
    capped at the last layer for models of fewer than four layers."""
    return min(num_hidden_layers // 2 + 2, num_hidden_layers)


@torch.inference_mode()
def sentence_vectors(
    encoder: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    sentences: Sequence[str],
    *,
    layer: int,
    pool: Pool = "mean",
    max_length: int = 512,
    batch_size: int = 64,
) -> torch.Tensor:
    """One float32 vector per sentence (rows in input order), on the encoder's device."""
    depth = encoder.config.num_hidden_layers
    if not 0 <= layer <= depth:
        raise ValueError(f"layer {layer} does not exist: the encoder has hidden states 0-{depth}")
    if pool not in POOLS:
        raise ValueError(f"pool must be one of {', '.join(POOLS)}, got {pool!r}")
    if not sentences:
        return torch.empty((0, encoder.config.hidden_size), device=encoder.device)
    order = _by_length(tokenizer, sentences, max_length)
    ordered = [sentences[i] for i in order]
    was_training = encoder.training
    encoder.eval()
    try:
        batches = [
            _pooled(encoder, tokenizer, ordered[i : i + batch_size], layer, pool, max_length)
            for i in range(0, len(ordered), batch_size)
        ]
    finally:
        encoder.train(was_training)
    vectors = torch.cat(batches)
    out = torch.empty_like(vectors)
    out[torch.tensor(order, device=vectors.device)] = vectors
    return out


def _by_length(
    tokenizer: PreTrainedTokenizerBase, sentences: Sequence[str], max_length: int
) -> list[int]:
    """Positions of `sentences` from the fewest tokens to the most (ties in input order), so a
    batch pads little (a sample-world BUCC test split, 2,000 sentences: 0.52 s, not 0.83 s)."""
    ids = tokenizer(list(sentences), truncation=True, max_length=max_length)["input_ids"]
    return sorted(range(len(sentences)), key=lambda i: len(ids[i]))


def _pooled(
    encoder: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    batch: Sequence[str],
    layer: int,
    pool: Pool,
    max_length: int,
) -> torch.Tensor:
    device = encoder.device
    inputs = tokenizer(
        list(batch), truncation=True, max_length=max_length, padding=True, return_tensors="pt"
    )
    mask = inputs["attention_mask"].to(device)
    outputs = encoder(
        input_ids=inputs["input_ids"].to(device), attention_mask=mask, output_hidden_states=True
    )
    hidden = outputs.hidden_states[layer].float()
    if pool == "cls":
        return hidden[:, 0]
    weights = mask.unsqueeze(-1).float()
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1)
