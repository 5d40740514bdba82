"""Synthetic inputs for the benchmarks: random token ids with realistic lengths.

Lengths of (premise, hypothesis) pairs in XLM-R tokens, with special tokens, are drawn from a
log-normal with median 38 and sigma 0.45 (95th percentile about 80), clipped to [8, max_length]:
close to MNLI's training pairs under XLM-R's tokenizer (median about 37, long tail past 150).
The weights are random, so only speed is measured, never accuracy.
"""

from __future__ import annotations

import numpy as np

MEDIAN, SIGMA = 38.0, 0.45
PAD_ID, FIRST_ORDINARY_ID = 1, 5


def sample_lengths(count: int, max_length: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lengths = np.exp(rng.normal(np.log(MEDIAN), SIGMA, size=count)).round()
    return np.clip(lengths, 8, max_length).astype(int)


def features(count: int, max_length: int, vocab: int, labels: int, seed: int = 0) -> list[dict]:
    """Feature dicts as `xstilts.modeling.encoding.encode` makes them: input_ids and label."""
    rng = np.random.default_rng(seed + 1)
    return [
        {
            "input_ids": [0, *rng.integers(FIRST_ORDINARY_ID, vocab, n - 2).tolist(), 2],
            "label": int(rng.integers(labels)),
        }
        for n in sample_lengths(count, max_length, seed)
    ]
