"""What the encodings of tagged sentences and of QA questions share: a split held as flat
arrays of model inputs (segments of a sentence, windows of a context), several per example,
read back as features one input at a time, and run through the model in length-sorted batches
(`forward_inputs`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any, overload

import numpy as np
import torch

from xstilts.modeling.model import MultiTaskModel
from xstilts.modeling.precision import autocast


class Segmented:
    """Sequence access for a frozen dataclass with `starts` (input i is `ids[starts[i]:starts[i
    + 1]]`), `example` (the example each input belongs to, inputs of one example consecutive)
    and `examples` (their number); subclasses build one input's features in `_feature`."""

    ids: np.ndarray
    starts: np.ndarray
    example: np.ndarray
    examples: int
    unit = "input"  # what one input is called in an index error

    def __len__(self) -> int:
        return len(self.example)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._feature(i) for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(f"{self.unit} {index} of {len(self)}")
        return self._feature(index % len(self))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self._feature(i) for i in range(len(self)))

    def _feature(self, i: int) -> dict[str, Any]:
        raise NotImplementedError

    def lengths(self) -> list[int]:
        return np.diff(self.starts).tolist()

    @cached_property
    def grouped(self) -> list[list[int]]:
        """Each example's inputs, in order."""
        grouped: list[list[int]] = [[] for _ in range(self.examples)]
        for index, example in enumerate(self.example.tolist()):
            grouped[example].append(index)
        return grouped


@torch.inference_mode()
def forward_inputs(
    model: MultiTaskModel,
    head: str,
    encoded: Segmented,
    inputs: Sequence[int],
    pad_id: int,
    batch_size: int = 128,
    precision: str = "auto",
) -> Iterator[tuple[list[int], torch.Tensor]]:
    """The head's logits for `inputs` (indices of `encoded`), shortest first in batches of
    `batch_size` padded to their longest (bf16 autocast on a GPU), as (batch's inputs, logits
    on the model's device); the model is in eval mode meanwhile."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    lengths = encoded.lengths()
    order = sorted(inputs, key=lambda i: lengths[i])
    try:
        for begin in range(0, len(order), batch_size):
            chunk = order[begin : begin + batch_size]
            ids = torch.full((len(chunk), max(lengths[i] for i in chunk)), pad_id, dtype=torch.long)
            mask = torch.zeros_like(ids)
            for row, i in enumerate(chunk):
                tokens = encoded.ids[encoded.starts[i] : encoded.starts[i + 1]]
                ids[row, : len(tokens)] = torch.from_numpy(tokens.astype(np.int64))
                mask[row, : len(tokens)] = 1
            with autocast(precision, device):
                logits = model(head, ids.to(device, non_blocking=True), mask.to(device))
            yield chunk, logits
    finally:
        model.train(was_training)
