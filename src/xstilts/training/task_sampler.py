"""The multi-task sampler: which task the next optimizer step trains (one task per step).

Strategies (jiant's, with its default): `proportional` to training-set size; `temperature`,
p_i ~ n_i^(1/T) (T > 1 flattens towards uniform); `capped`, sizes above `cap` count as `cap`;
`uniform`. The sampler is seeded and its state (RNG + counts) round-trips through JSON, so a
resumed run draws exactly the tasks an uninterrupted run would have.
"""

from __future__ import annotations

import random
from typing import Any


def task_probabilities(
    sizes: dict[str, int], strategy: str, temperature: float = 1.0, cap: int | None = None
) -> dict[str, float]:
    if not sizes or any(n <= 0 for n in sizes.values()):
        raise ValueError(f"every task needs training examples, got sizes {sizes}")
    if strategy == "proportional":
        weights = {t: float(n) for t, n in sizes.items()}
    elif strategy == "temperature":
        weights = {t: float(n) ** (1.0 / temperature) for t, n in sizes.items()}
    elif strategy == "capped":
        if cap is None:
            raise ValueError("the 'capped' strategy needs a cap")
        weights = {t: float(min(n, cap)) for t, n in sizes.items()}
    elif strategy == "uniform":
        weights = dict.fromkeys(sizes, 1.0)
    else:
        raise ValueError(f"unknown sampling strategy '{strategy}'")
    total = sum(weights.values())
    return {t: w / total for t, w in weights.items()}


class MultiTaskSampler:
    def __init__(
        self,
        sizes: dict[str, int],
        seed: int,
        strategy: str = "proportional",
        temperature: float = 1.0,
        cap: int | None = None,
    ) -> None:
        self.probabilities = task_probabilities(sizes, strategy, temperature, cap)
        self.tasks = list(self.probabilities)
        self._weights = [self.probabilities[t] for t in self.tasks]
        self._rng = random.Random(f"multitask-sampler:{seed}")
        self.counts = dict.fromkeys(self.tasks, 0)

    def next_task(self) -> str:
        if len(self.tasks) == 1:
            task = self.tasks[0]
        else:
            task = self._rng.choices(self.tasks, weights=self._weights)[0]
        self.counts[task] += 1
        return task

    def state_dict(self) -> dict[str, Any]:
        version, internal, gauss = self._rng.getstate()
        return {"rng": [version, list(internal), gauss], "counts": dict(self.counts)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        version, internal, gauss = state["rng"]
        self._rng.setstate((version, tuple(internal), gauss))
        self.counts = {t: int(state["counts"][t]) for t in self.tasks}
