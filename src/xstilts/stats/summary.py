"""Statistics of one paired cell: aligned rows of two sides, one row per (seed, example)."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pandas as pd

from xstilts.stats.paired import paired_bootstrap, sign_flip_test
from xstilts.stats.power import null_se
from xstilts.stats.seeds import cluster_sums, example_clusters, seed_means, summarize_seeds


def cell_seed(seed: int, *parts: object) -> int:
    """A bootstrap seed for one cell from the user seed and the cell's labels.

    Independent of which other cells are computed and of their order, so a table restricted to
    some pairs or variants has the same numbers in the rows it keeps.
    """
    text = "\x1f".join([str(seed), *map(str, parts)])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def paired_summary(
    index: pd.MultiIndex,
    a: np.ndarray,
    b: np.ndarray,
    n_resamples: int,
    seed: int,
    confidence: float,
) -> dict[str, object]:
    """mean(a), mean(b) and diff = mean(a) - mean(b) over all rows, its CI and the test.

    `index` holds (seed, language, example_id) per row. mean_a/mean_b, diff, the interval and the
    test are all over the same pooled rows, so diff == mean_a - mean_b (up to rounding) even when
    seeds cover different rows; with equal rows per seed the pooled mean is the mean over seeds
    of per-seed means. std_a/std_b are the spread over seeds of per-seed means (ddof=1; NaN for
    one seed). The bootstrap resamples example ids (each with all its seeds) within languages;
    the test is `sign_flip_test` on per-example sums of a - b over seeds, which is McNemar's test
    when there is one seed and a, b are 0/1; null_se is that test's standard error of diff (the
    scale of the smallest difference it can detect, `xstilts.stats.power`).
    """
    seeds = index.get_level_values("seed").to_numpy()
    languages = index.get_level_values("language").to_numpy()
    clusters = example_clusters(languages, index.get_level_values("example_id").to_numpy())
    side_a = summarize_seeds(seed_means(a, seeds))
    side_b = summarize_seeds(seed_means(b, seeds))
    interval = paired_bootstrap(
        a, b, n_resamples, seed, confidence, strata=languages, clusters=clusters
    )
    example_sums = cluster_sums(a - b, clusters)
    test = sign_flip_test(example_sums)
    binary = bool(np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all())
    return {
        "n_examples": int(clusters.max()) + 1,
        "n_seeds": side_a.n,
        "n_rows": len(a),
        "mean_a": float(np.mean(a)),
        "std_a": side_a.std,
        "mean_b": float(np.mean(b)),
        "std_b": side_b.std,
        "diff": interval.estimate,
        "ci_low": interval.low,
        "ci_high": interval.high,
        "null_se": null_se(example_sums, len(a)),
        "b01": int(np.sum((a == 0) & (b == 1))) if binary else math.nan,
        "b10": int(np.sum((a == 1) & (b == 0))) if binary else math.nan,
        "statistic": test.statistic,
        "p_value": test.p_value,
        "test": test.method,
    }


def by_language(
    index: pd.MultiIndex, pooled: str, each: bool = True
) -> list[tuple[str, np.ndarray]]:
    """(label, row mask): the pool of all languages present, then each one (unless `each` is
    False: the pool alone).

    The pooled row is always there, also when only one language is present (it then repeats that
    language's estimates and test, with an interval drawn from its own bootstrap seed), so every
    cell of a table has exactly one pooled row to select.
    """
    languages = index.get_level_values("language").to_numpy()
    masks = [(pooled, np.ones(len(languages), dtype=bool))]
    if each:
        masks += [(str(lang), languages == lang) for lang in sorted(set(languages.tolist()))]
    return masks
