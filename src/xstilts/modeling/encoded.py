"""A split's encoded examples, held compactly: all its token ids in one int32 array.

Features as Python lists cost about 40 bytes per token (a pointer plus an int object per id), and
tokenizing a whole split in one call about 270 (the tokenizer's own per-token records on top);
RACE's ~160M tokens would need tens of GB in every training process. `EncodedSplit` keeps a
split's ids in one flat int32 array (4 bytes per token) with offsets marking where each sequence
starts, and, for multiple choice, which sequences are one example's choices; it is built a chunk
of examples at a time, so tokenizing never holds more than a chunk's worth of lists.

Indexing returns the features the rest of the code knows, `{"input_ids": [...], "label": int}`
(a list of lists for multiple choice), built on demand with the same Python ints as before, so
batches are unchanged.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

Features = dict[str, Any]


@dataclass(frozen=True)
class EncodedChunk:
    """Some consecutive examples' sequences; `sizes` counts each example's sequences (its
    choices), None when every example is one sequence."""

    sequences: list[list[int]]
    sizes: list[int] | None
    labels: list[int]


@dataclass(frozen=True, eq=False)
class EncodedSplit(Sequence[Features]):
    """Sequence s is `ids[starts[s]:starts[s + 1]]`; example e owns sequences
    `groups[e]:groups[e + 1]` (or just sequence e when `groups` is None)."""

    ids: np.ndarray
    starts: np.ndarray
    groups: np.ndarray | None
    labels: np.ndarray

    @classmethod
    def from_chunks(cls, chunks: Iterable[EncodedChunk]) -> EncodedSplit:
        """Concatenate chunks, turning each into arrays as it arrives."""
        ids, lengths, sizes, labels = [], [], [], []
        grouped = False
        for chunk in chunks:
            seq_lengths = [len(s) for s in chunk.sequences]
            total = sum(seq_lengths)
            flat = itertools.chain.from_iterable(chunk.sequences)
            ids.append(np.fromiter(flat, dtype=np.int32, count=total))
            lengths.append(np.asarray(seq_lengths, dtype=np.int64))
            labels.append(np.asarray(chunk.labels, dtype=np.int64))
            grouped = chunk.sizes is not None
            if chunk.sizes is not None:
                sizes.append(np.asarray(chunk.sizes, dtype=np.int64))
        return cls(
            ids=_concatenate(ids, np.int32),
            starts=_offsets(_concatenate(lengths, np.int64)),
            groups=_offsets(_concatenate(sizes, np.int64)) if grouped else None,
            labels=_concatenate(labels, np.int64),
        )

    def __len__(self) -> int:
        return len(self.labels)

    @overload
    def __getitem__(self, index: int) -> Features: ...

    @overload
    def __getitem__(self, index: slice) -> list[Features]: ...

    def __getitem__(self, index: int | slice) -> Features | list[Features]:
        if isinstance(index, slice):
            return [self._feature(i) for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(f"example {index} of {len(self)}")
        return self._feature(index % len(self))

    def __iter__(self) -> Iterator[Features]:
        return (self._feature(i) for i in range(len(self)))

    def _sequence(self, s: int) -> list[int]:
        return self.ids[self.starts[s] : self.starts[s + 1]].tolist()

    def _feature(self, e: int) -> Features:
        if self.groups is None:
            input_ids: Any = self._sequence(e)
        else:
            input_ids = [self._sequence(s) for s in range(self.groups[e], self.groups[e + 1])]
        return {"input_ids": input_ids, "label": int(self.labels[e])}

    def lengths(self) -> list[int]:
        """Each example's longest sequence, as `encoding.sequence_length` counts it."""
        per_sequence = np.diff(self.starts)
        if self.groups is None:
            return per_sequence.tolist()
        return np.maximum.reduceat(per_sequence, self.groups[:-1]).tolist() if len(self) else []

    @property
    def nbytes(self) -> int:
        groups = 0 if self.groups is None else self.groups.nbytes
        return self.ids.nbytes + self.starts.nbytes + groups + self.labels.nbytes


def _concatenate(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    """The parts as one array, each part freed once copied (and the result's pages touched
    only as they are filled), so the peak is about one copy of the ids, not two. Empties
    `parts`."""
    out = np.empty(sum(len(p) for p in parts), dtype=dtype)
    parts.reverse()
    position = 0
    while parts:
        part = parts.pop()
        out[position : position + len(part)] = part
        position += len(part)
    return out


def _offsets(lengths: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(lengths, dtype=np.int64)])
