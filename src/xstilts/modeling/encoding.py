"""Turning typed examples into model inputs, and batches with dynamic padding.

Pairs are encoded as `<s> a </s></s> b </s>` (longest-first truncation). Multiple choice encodes
one sequence per choice, (context, question + " " + choice), truncating only the context from its
end (an empty question leaves (context, choice)); batches pad to their own longest sequence, and
choices to their own largest count.

A split is tokenized `CHUNK_EXAMPLES` examples per call into an `EncodedSplit` (int32 ids), so
memory grows by 4 bytes per token, not by the ~270 that one call over the whole split held.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence

import torch
from transformers import PreTrainedTokenizerBase

from xstilts.examples import ChoiceExample, Example, PairExample, TaggedExample, TextExample
from xstilts.modeling.encoded import EncodedChunk, EncodedSplit, Features
from xstilts.modeling.span_inputs import EncodedSpans, collate_spans
from xstilts.modeling.tagged_inputs import EncodedTags, collate_tagged, encode_tagged

__all__ = ["EncodedSplit", "Features", "collate", "encode", "sequence_length", "sequence_lengths"]

# Examples tokenized per call: a RACE chunk is ~0.5M tokens, ~130 MB of transient lists.
CHUNK_EXAMPLES = 256


def encode(
    examples: Iterable[Example], tokenizer: PreTrainedTokenizerBase, max_length: int
) -> EncodedSplit | EncodedTags:
    """Tokenize examples of one kind, a chunk at a time (examples may be a stream, read as it
    goes); each feature keeps its label (tagged examples: see `xstilts.modeling.tagged_inputs`)."""
    items = iter(examples)
    first = next(items, None)
    if first is None:
        return EncodedSplit.from_chunks([])
    items = itertools.chain([first], items)
    if isinstance(first, TaggedExample):
        return encode_tagged(items, tokenizer, max_length)
    chunks = _batched(items, CHUNK_EXAMPLES)
    return EncodedSplit.from_chunks(encode_chunk(c, tokenizer, max_length) for c in chunks)


def _batched(items: Iterator[Example], size: int) -> Iterator[list[Example]]:
    """`itertools.batched` (Python 3.12+)."""
    while chunk := list(itertools.islice(items, size)):
        yield chunk


def encode_chunk(
    examples: Sequence[Example], tokenizer: PreTrainedTokenizerBase, max_length: int
) -> EncodedChunk:
    """One tokenizer call over a chunk of examples of one kind."""
    labels = [e.label for e in examples]
    first = examples[0]
    if isinstance(first, PairExample):
        enc = tokenizer(
            [e.text_a for e in examples],
            [e.text_b for e in examples],
            truncation="longest_first",
            max_length=max_length,
        )
        return EncodedChunk(enc["input_ids"], None, labels)
    if isinstance(first, TextExample):
        enc = tokenizer([e.text for e in examples], truncation=True, max_length=max_length)
        return EncodedChunk(enc["input_ids"], None, labels)
    return _encode_choices(examples, labels, tokenizer, max_length)


def _encode_choices(
    examples: Sequence[ChoiceExample],
    labels: list[int],
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
) -> EncodedChunk:
    firsts, seconds, sizes = [], [], []
    for e in examples:
        firsts += [e.context] * len(e.choices)
        seconds += [f"{e.question} {choice}" if e.question else choice for choice in e.choices]
        sizes.append(len(e.choices))
    flat = tokenizer(firsts, seconds, truncation="only_first", max_length=max_length)["input_ids"]
    return EncodedChunk(flat, sizes, labels)


def sequence_length(feature: Features) -> int:
    ids = feature["input_ids"]
    return max(len(s) for s in ids) if ids and isinstance(ids[0], list) else len(ids)


def sequence_lengths(features: Sequence[Features]) -> list[int]:
    """`sequence_length` of every feature; read off the offsets of an encoded split."""
    if isinstance(features, EncodedSplit | EncodedTags | EncodedSpans):
        return features.lengths()
    return [sequence_length(f) for f in features]


def collate(features: list[Features], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a batch to its longest sequence (and, for choices, to its largest choice count)."""
    if "token_labels" in features[0]:
        return collate_tagged(features, pad_id)
    if "answer_start" in features[0]:
        return collate_spans(features, pad_id)
    labels = torch.tensor([f["label"] for f in features], dtype=torch.long)
    if isinstance(features[0]["input_ids"][0], list):
        return _collate_choices(features, pad_id) | {"labels": labels}
    width = max(len(f["input_ids"]) for f in features)
    input_ids = torch.full((len(features), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(features), width), dtype=torch.long)
    for row, f in enumerate(features):
        input_ids[row, : len(f["input_ids"])] = torch.tensor(f["input_ids"])
        mask[row, : len(f["input_ids"])] = 1
    return {"input_ids": input_ids, "attention_mask": mask, "labels": labels}


def _collate_choices(features: list[Features], pad_id: int) -> dict[str, torch.Tensor]:
    n_choices = max(len(f["input_ids"]) for f in features)
    width = max(sequence_length(f) for f in features)
    shape = (len(features), n_choices, width)
    input_ids = torch.full(shape, pad_id, dtype=torch.long)
    mask = torch.zeros(shape, dtype=torch.long)
    choice_mask = torch.zeros((len(features), n_choices), dtype=torch.bool)
    for row, f in enumerate(features):
        for col in range(n_choices):
            # a missing choice is a 2-token dummy sequence, masked out of the logits
            seq = f["input_ids"][col] if col < len(f["input_ids"]) else f["input_ids"][0][:1] * 2
            input_ids[row, col, : len(seq)] = torch.tensor(seq)
            mask[row, col, : len(seq)] = 1
            choice_mask[row, col] = col < len(f["input_ids"])
    return {"input_ids": input_ids, "attention_mask": mask, "choice_mask": choice_mask}
