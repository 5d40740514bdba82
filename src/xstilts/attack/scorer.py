"""Scoring candidate inputs for the attack: batched, length-sorted, dynamically padded, cached.

A black-box attacker only sees probabilities. `CachedScorer` sends every distinct input to the
shared `predict` path once and remembers the answer; `queries` counts the distinct inputs, which
is what the query budget limits and what the metrics report.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from transformers import PreTrainedTokenizerBase

from xstilts.examples import Example
from xstilts.modeling.model import MultiTaskModel
from xstilts.perturb.examples import example_fields
from xstilts.predict import predict


class Scorer(Protocol):
    """What the search needs: probabilities for examples, and how many queries it has made."""

    queries: int

    def score(self, examples: list[Example]) -> np.ndarray: ...

    def reset(self) -> None: ...


def input_key(example: Example) -> tuple[str, ...]:
    return tuple(example_fields(example).values())


class CachedScorer:
    """Probabilities through `xstilts.predict.predict`, one batch per call, with a cache."""

    def __init__(
        self,
        model: MultiTaskModel,
        tokenizer: PreTrainedTokenizerBase,
        head: str,
        max_length: int = 128,
        batch_size: int = 64,
        precision: str = "auto",
    ) -> None:
        self.model, self.tokenizer, self.head = model, tokenizer, head
        self.max_length, self.batch_size, self.precision = max_length, batch_size, precision
        self._cache: dict[tuple[str, ...], np.ndarray] = {}
        self.queries = 0

    def reset(self) -> None:
        """Forget cached answers and start counting queries from zero (one example's attack)."""
        self._cache.clear()
        self.queries = 0

    def score(self, examples: list[Example]) -> np.ndarray:
        keys = [input_key(e) for e in examples]
        missing = {k: e for k, e in zip(keys, examples, strict=True) if k not in self._cache}
        if missing:
            probs = predict(
                self.model,
                self.tokenizer,
                self.head,
                list(missing.values()),
                self.max_length,
                self.batch_size,
                self.precision,
            )
            self._cache.update(zip(missing, probs, strict=True))
            self.queries += len(missing)
        return np.stack([self._cache[k] for k in keys]) if keys else np.zeros((0, 0))
