"""The bootstrap engine: resampled means of (optionally clustered, stratified) paired differences.

Every resample draws, within each stratum, as many units (examples, or clusters of rows) as the
stratum holds, with replacement, and returns sum(resampled sums) / sum(resampled sizes). Two exact
ways to draw, chosen per stratum, with no Python loop over resamples:

- few distinct (sum, size) units (always true for 0/1 correctness, whose paired differences take
  at most a handful of values): multinomial counts of the distinct units, so 10k resamples cost
  O(10k x distinct) whatever the number of examples. A resample's statistic depends only on how
  many times each distinct unit was drawn, so this is the same bootstrap distribution as drawing
  indices.
- otherwise: an index matrix drawn in chunks of at most `CHUNK_ELEMENTS` entries.
"""

from __future__ import annotations

import numpy as np

CHUNK_ELEMENTS = 4_000_000
MAX_DISTINCT_FOR_COUNTS = 64


def resampled_ratios(
    sums: np.ndarray,
    sizes: np.ndarray,
    strata: np.ndarray,
    n_resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Return `n_resamples` bootstrap values of sum(sums) / sum(sizes), resampling within strata.

    `sums[i]` is unit i's summed difference and `sizes[i]` its number of rows; `strata[i]` is its
    stratum (integer codes). Strata are visited in sorted order, so a fixed `rng` state gives a
    fixed result.
    """
    total_sum = np.zeros(n_resamples)
    total_size = np.zeros(n_resamples)
    for stratum in np.unique(strata):
        mask = strata == stratum
        part_sum, part_size = _resample_stratum(sums[mask], sizes[mask], n_resamples, rng)
        total_sum += part_sum
        total_size += part_size
    return total_sum / total_size


def _resample_stratum(
    sums: np.ndarray, sizes: np.ndarray, n_resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    units = np.column_stack([sums, sizes])
    distinct, counts = np.unique(units, axis=0, return_counts=True)
    if len(distinct) <= MAX_DISTINCT_FOR_COUNTS:
        return _by_counts(distinct, counts, n_resamples, rng)
    return _by_indices(sums, sizes, n_resamples, rng)


def _by_counts(
    distinct: np.ndarray, counts: np.ndarray, n_resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = int(counts.sum())
    draws = rng.multinomial(n, counts / n, size=n_resamples).astype(np.float64)
    resampled = draws @ distinct
    return resampled[:, 0], resampled[:, 1]


def _by_indices(
    sums: np.ndarray, sizes: np.ndarray, n_resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = len(sums)
    chunk = max(1, CHUNK_ELEMENTS // n)
    out_sum = np.empty(n_resamples)
    out_size = np.empty(n_resamples)
    for start in range(0, n_resamples, chunk):
        stop = min(start + chunk, n_resamples)
        idx = rng.integers(0, n, size=(stop - start, n))
        out_sum[start:stop] = sums[idx].sum(axis=1)
        out_size[start:stop] = sizes[idx].sum(axis=1)
    return out_sum, out_size
