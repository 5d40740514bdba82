"""Scoring candidate inputs for the attack: one batched call through the shared `predict` path
(length-sorted, dynamically padded) for all the candidates every running search asks for."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from transformers import PreTrainedTokenizerBase

from xstilts.examples import Example
from xstilts.modeling.model import MultiTaskModel
from xstilts.modeling.predict import predict

PredictFn = Callable[[list[Example]], np.ndarray]


class BatchPredictor:
    """Probabilities [n, classes] for a list of examples, through
    `xstilts.modeling.predict.predict`."""

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

    def __call__(self, examples: list[Example]) -> np.ndarray:
        return predict(
            self.model,
            self.tokenizer,
            self.head,
            examples,
            self.max_length,
            self.batch_size,
            self.precision,
        )
