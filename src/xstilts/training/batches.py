"""An endless, seeded, resumable stream of training batches for one task.

Each epoch is a fresh permutation drawn from a generator seeded by (seed, task, epoch); the
stream's whole state is (epoch, position), so resuming needs no pickled iterator.
"""

from __future__ import annotations

import torch

from xstilts.seeding import derive_seed


class BatchStream:
    def __init__(self, size: int, batch_size: int, seed: int, name: str) -> None:
        self.size, self.batch_size, self.seed, self.name = size, batch_size, seed, name
        self.epoch, self.position = 0, 0
        self._order: list[int] | None = None

    def _permutation(self) -> list[int]:
        if self._order is None:
            generator = torch.Generator().manual_seed(
                derive_seed("batches", self.seed, self.name, self.epoch)
            )
            self._order = torch.randperm(self.size, generator=generator).tolist()
        return self._order

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
