"""Aggregation across training seeds.

Each seed is a separate training run, so accuracy is first computed per seed and then summarised
as mean, sample standard deviation (ddof=1) and number of seeds. With one seed the standard
deviation is undefined and reported as NaN, never 0: a single run says nothing about seed spread.

Paired comparisons across seeds concatenate the per-seed paired vectors (row = one example under
one seed; each seed's perturbed inputs are shared by both sides of the pair). The difference is
then the mean over all rows, which equals the mean over seeds of the per-seed differences when
every seed covers the same examples. The two sides' means reported next to it are over the same
rows (not means of per-seed means), so the difference is always the difference of those means,
also when seeds cover different examples (e.g. the examples a perturbation is effective on).
For the bootstrap and the test, the rows of one example are kept together (`example_clusters`):
an example that is hard under one seed is hard under the others, so treating its seed replicates
as independent draws (resampling examples within seed strata, or McNemar on the concatenated
pairs) would make intervals too narrow and p-values too small. Resampling example ids, each with
all its seeds, within language strata, is the bootstrap of the population the conclusions are
about: examples. With one seed it is the ordinary paired bootstrap and McNemar test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SeedSummary:
    """Mean, sample standard deviation (NaN for one seed) and count of per-seed values."""

    mean: float
    std: float
    n: int


def summarize_seeds(values: np.ndarray) -> SeedSummary:
    """Summarise one value per seed; NaN values (a seed without data) are ignored."""
    arr = np.asarray(values, dtype=np.float64).ravel()
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return SeedSummary(math.nan, math.nan, 0)
    std = float(arr.std(ddof=1)) if arr.size > 1 else math.nan
    return SeedSummary(float(arr.mean()), std, int(arr.size))


def seed_means(values: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Mean of `values` within each seed, in sorted seed order."""
    codes = np.unique(np.asarray(seeds), return_inverse=True)[1].ravel()
    totals = np.bincount(codes, weights=np.asarray(values, dtype=np.float64))
    return totals / np.bincount(codes)


def example_clusters(*keys: np.ndarray) -> np.ndarray:
    """Integer cluster codes for rows sharing all `keys` (e.g. language and example id), numbered
    in the sorted order of the key tuples (as a sorted factorization of their MultiIndex)."""
    combined = np.zeros(len(keys[0]) if keys else 0, dtype=np.int64)
    for key in keys:
        codes, uniques = pd.factorize(np.asarray(key), sort=True)
        combined = combined * len(uniques) + codes
    return np.unique(combined, return_inverse=True)[1].ravel().astype(np.int64)


def cluster_sums(values: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Sum of `values` within each cluster code (codes 0..k-1)."""
    return np.bincount(clusters, weights=np.asarray(values, dtype=np.float64))
