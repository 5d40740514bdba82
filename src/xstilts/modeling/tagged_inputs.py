"""Words in, sub-tokens to the model, one tag per word back.

Each sentence is tokenized as the dataset's words (`is_split_into_words`): the tokenizer never
re-segments them, so a tag belongs to exactly one word. A word's tag sits on its *first*
sub-token; its other sub-tokens, `<s>`, `</s>` and padding carry `IGNORE` (-100), so the loss and
the metric see one position per word, as in XTREME's `utils_tag.py`.

Two rules keep words and positions from drifting apart, both XTREME's:
- A sentence longer than `max_length` tokens is split, between words, into segments that fit;
  each segment is one model input, and the words' predictions are joined back in order. No word
  is cut off. (A single word longer than a whole segment keeps its first sub-tokens.)
- A word the tokenizer maps to no token at all (possible with characters its normalizer drops) is
  read as `<unk>`; such words are counted (`EncodedTags.unk_words`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from xstilts.examples import TaggedExample
from xstilts.modeling.segmented import Segmented

IGNORE = -100  # cross_entropy's ignore_index
CHUNK_EXAMPLES = 512


@dataclass(frozen=True)
class EncodedTags(Segmented, Sequence[dict[str, Any]]):
    """A split of tagged examples as model inputs (segments), flat.

    Segment s is `ids[starts[s]:starts[s + 1]]` with one token label per id; it holds words
    `first_word[s]...` of example `example[s]`, whose first sub-tokens sit at
    `positions[words[s]:words[s + 1]]`. An example's segments are consecutive.
    """

    ids: np.ndarray
    token_labels: np.ndarray
    starts: np.ndarray
    positions: np.ndarray
    words: np.ndarray
    example: np.ndarray
    examples: int
    unk_words: int = 0
    unit = "segment"

    def _feature(self, s: int) -> dict[str, Any]:
        tokens = slice(self.starts[s], self.starts[s + 1])
        return {
            "input_ids": self.ids[tokens].tolist(),
            "token_labels": self.token_labels[tokens].tolist(),
            "word_positions": self.positions[self.words[s] : self.words[s + 1]].tolist(),
        }

    def gold(self, example: int) -> list[int]:
        """The gold tags of one example's words, read off its segments."""
        return [
            int(self.token_labels[self.starts[s] + p])
            for s in self.grouped[example]
            for p in self.positions[self.words[s] : self.words[s + 1]]
        ]


def encode_tagged(
    examples: Iterable[TaggedExample], tokenizer: PreTrainedTokenizerBase, max_length: int
) -> EncodedTags:
    """Tokenize tagged examples a chunk at a time (examples may be a stream)."""
    ids: list[int] = []
    labels: list[int] = []
    lengths, positions, word_counts, owner = [], [], [], []
    unk = count = 0
    items = iter(examples)
    while chunk := list(itertools.islice(items, CHUNK_EXAMPLES)):
        for segments, empty in _encode_chunk(chunk, tokenizer, max_length):
            for segment in segments:
                ids += segment.ids
                labels += segment.labels
                lengths.append(len(segment.ids))
                positions += segment.positions
                word_counts.append(len(segment.positions))
                owner.append(count)
            unk += empty
            count += 1
    return EncodedTags(
        ids=np.asarray(ids, dtype=np.int32),
        token_labels=np.asarray(labels, dtype=np.int64),
        starts=_offsets(lengths),
        positions=np.asarray(positions, dtype=np.int32),
        words=_offsets(word_counts),
        example=np.asarray(owner, dtype=np.int64),
        examples=count,
        unk_words=unk,
    )


@dataclass(frozen=True)
class _Segment:
    ids: list[int]
    labels: list[int]
    positions: list[int]


def _encode_chunk(
    examples: Sequence[TaggedExample], tokenizer: PreTrainedTokenizerBase, max_length: int
) -> list[tuple[list[_Segment], int]]:
    """Each example's segments and its number of words read as `<unk>`."""
    words = [list(e.words) for e in examples]
    pieces = tokenizer(words, is_split_into_words=True, add_special_tokens=False)
    out = []
    for row, example in enumerate(examples):
        per_word = _word_tokens(pieces["input_ids"][row], pieces.word_ids(row), len(words[row]))
        empty = [i for i, tokens in enumerate(per_word) if not tokens]
        for i in empty:  # read a word without tokens as <unk>, as XTREME does
            per_word[i] = [tokenizer.unk_token_id]
        segments = _segments(per_word, example.tags, max_length, tokenizer)
        out.append((segments, len(empty)))
    return out


def _word_tokens(ids: list[int], word_ids: list[int | None], n_words: int) -> list[list[int]]:
    per_word: list[list[int]] = [[] for _ in range(n_words)]
    for token, word in zip(ids, word_ids, strict=True):
        if word is not None:
            per_word[word].append(token)
    return per_word


def _segments(
    per_word: list[list[int]],
    tags: Sequence[int],
    max_length: int,
    tokenizer: PreTrainedTokenizerBase,
) -> list[_Segment]:
    """Split between words so each segment has at most `max_length` tokens with `<s>`/`</s>`."""
    budget = max(max_length - 2, 1)
    segments, current = [], []
    used = 0
    for word, tokens in enumerate(per_word):
        tokens = tokens[:budget]
        if current and used + len(tokens) > budget:
            segments.append(current)
            current, used = [], 0
        current.append((word, tokens))
        used += len(tokens)
    segments.append(current)
    return [_segment(part, tags, tokenizer) for part in segments]


def _segment(
    part: list[tuple[int, list[int]]], tags: Sequence[int], tokenizer: PreTrainedTokenizerBase
) -> _Segment:
    ids, labels, positions = [tokenizer.cls_token_id], [IGNORE], []
    for word, tokens in part:
        positions.append(len(ids))
        ids += tokens
        labels += [tags[word]] + [IGNORE] * (len(tokens) - 1)
    ids.append(tokenizer.sep_token_id)
    labels.append(IGNORE)
    return _Segment(ids, labels, positions)


def _offsets(lengths: list[int]) -> np.ndarray:
    return np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(lengths, dtype=np.int64)])


def collate_tagged(features: list[dict[str, Any]], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a batch to its longest sentence; padding positions carry `IGNORE`."""
    width = max(len(f["input_ids"]) for f in features)
    input_ids = torch.full((len(features), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(features), width), dtype=torch.long)
    labels = torch.full((len(features), width), IGNORE, dtype=torch.long)
    for row, f in enumerate(features):
        n = len(f["input_ids"])
        input_ids[row, :n] = torch.tensor(f["input_ids"])
        mask[row, :n] = 1
        labels[row, :n] = torch.tensor(f["token_labels"])
    return {"input_ids": input_ids, "attention_mask": mask, "labels": labels}
