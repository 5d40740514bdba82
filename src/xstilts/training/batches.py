"""An endless, seeded, resumable stream of training batches for one task.

Each epoch is a fresh permutation drawn from a generator seeded by (seed, task, epoch); the
stream's whole state is (epoch, position), so resuming needs no pickled iterator.

With `lengths`, batches are grouped by length (as Hugging Face's `group_by_length`): the
permutation is cut into mega-batches of `mega_batches` batches, each mega-batch is sorted by
length and cut into batches, and the full batches are shuffled, the one holding the longest
example first (an out-of-memory error shows at the first step, not hours in). Batches then pad
to similar lengths, while their composition stays random.
"""

from __future__ import annotations

import torch

from xstilts.seeding import derive_seed


class BatchStream:
    def __init__(
        self,
        size: int,
        batch_size: int,
        seed: int,
        name: str,
        lengths: list[int] | None = None,
        mega_batches: int = 50,
    ) -> None:
        self.size, self.batch_size, self.seed, self.name = size, batch_size, seed, name
        self.lengths, self.mega_batches = lengths, mega_batches
        self.epoch, self.position = 0, 0
        self._order: list[int] | None = None

    def _generator(self, purpose: str) -> torch.Generator:
        return torch.Generator().manual_seed(derive_seed(purpose, self.seed, self.name, self.epoch))

    def _permutation(self) -> list[int]:
        if self._order is None:
            order = torch.randperm(self.size, generator=self._generator("batches")).tolist()
            self._order = order if self.lengths is None else self._group_by_length(order)
        return self._order

    def _group_by_length(self, order: list[int]) -> list[int]:
        """The same indices, reordered so that consecutive batches hold similar lengths."""
        lengths, size = self.lengths, self.batch_size
        assert lengths is not None
        mega = size * self.mega_batches
        grouped: list[int] = []
        for start in range(0, len(order), mega):
            chunk = order[start : start + mega]
            grouped += sorted(chunk, key=lambda i: -lengths[i])
        batches = [grouped[i : i + size] for i in range(0, len(grouped), size)]
        tail = [batches.pop()] if len(batches[-1]) < size else []
        shuffle = torch.randperm(len(batches), generator=self._generator("length-groups"))
        batches = [batches[i] for i in shuffle.tolist()]
        if batches:
            longest = max(range(len(batches)), key=lambda b: max(lengths[i] for i in batches[b]))
            batches.insert(0, batches.pop(longest))
        return [index for batch in batches + tail for index in batch]

    def next_indices(self) -> list[int]:
        """Indices of the next batch (the last batch of an epoch may be smaller)."""
        order = self._permutation()
        indices = order[self.position : self.position + self.batch_size]
        self.position += len(indices)
        if self.position >= self.size:
            self.epoch, self.position, self._order = self.epoch + 1, 0, None
        return indices

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.epoch, self.position, self._order = int(state["epoch"]), int(state["position"]), None
