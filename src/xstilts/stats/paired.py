"""Paired comparisons of two systems scored on the same examples.

`paired_bootstrap` gives a percentile confidence interval for mean(a) - mean(b); `mcnemar` tests
whether two classifiers err on the same examples equally often; `sign_flip_test` is the exact
generalisation of McNemar's test to integer-valued per-example differences (several seeds pooled
per example, or differences of robustness drops), and equals McNemar's test on 0/1 differences.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from xstilts.errors import XstiltsError
from xstilts.stats.resample import resampled_ratios

EXACT_BELOW = 25


@dataclass(frozen=True)
class Interval:
    """A point estimate with a bootstrap confidence interval."""

    estimate: float
    low: float
    high: float
    confidence: float
    se: float
    n_resamples: int

    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's test. b01: a wrong and b right; b10: a right and b wrong.

    `method` is "exact" (two-sided binomial, statistic = min(b01, b10)), "chi2" (continuity
    corrected, statistic = max(|b01 - b10| - 1, 0)^2 / (b01 + b10)) or "none" (no discordant pairs).
    """

    b01: int
    b10: int
    statistic: float
    p_value: float
    method: str


@dataclass(frozen=True)
class SignFlipResult:
    """Sign-flip test of sum(d) = 0 for integer d symmetric about 0 under the null.

    `statistic` is T = sum(d) for method "exact" and the continuity-corrected z^2 (chi-square,
    one degree of freedom) for "chi2"; "none" means every d was 0 (p = 1).
    """

    statistic: float
    p_value: float
    n_nonzero: int
    method: str


def paired_bootstrap(
    a: np.ndarray,
    b: np.ndarray,
    n_resamples: int,
    seed: int,
    confidence: float = 0.95,
    strata: np.ndarray | None = None,
    clusters: np.ndarray | None = None,
) -> Interval:
    """Percentile bootstrap interval for mean(a) - mean(b) over paired rows.

    Rows are resampled with replacement; with `strata` (e.g. language ids) each stratum is
    resampled to its own size, so a pooled analysis keeps every language's share fixed. With
    `clusters` (e.g. example ids, when each example has one row per seed) a cluster's rows are
    drawn together, and the statistic is the mean over the drawn rows; a cluster must lie in one
    stratum. Deterministic for a fixed `seed`.
    """
    d = _differences(a, b)
    _check_resampling(n_resamples, confidence)
    unit_ids = _codes(clusters, len(d), "clusters")
    stratum_codes = _codes(strata, len(d), "strata")
    sums = np.bincount(unit_ids, weights=d)
    sizes = np.bincount(unit_ids).astype(np.float64)
    unit_strata = _unit_strata(unit_ids, stratum_codes)
    rng = np.random.default_rng(seed)
    values = resampled_ratios(sums, sizes, unit_strata, n_resamples, rng)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(values, [tail, 1.0 - tail])
    return Interval(
        estimate=float(d.mean()),
        low=float(low),
        high=float(high),
        confidence=confidence,
        se=float(values.std(ddof=1)) if n_resamples > 1 else math.nan,
        n_resamples=n_resamples,
    )


def mcnemar(a: np.ndarray, b: np.ndarray) -> McNemarResult:
    """McNemar's test on paired 0/1 correctness vectors.

    Exact two-sided binomial test (computed in log space) when there are fewer than 25 discordant
    pairs, else the continuity-corrected chi-square test with one degree of freedom; p = 1 when no
    pair is discordant.
    """
    a_bin, b_bin = _binary(a, "a"), _binary(b, "b")
    if a_bin.shape != b_bin.shape:
        raise XstiltsError(f"mcnemar needs equal lengths, got {a_bin.size} and {b_bin.size}")
    b01 = int(np.sum(~a_bin & b_bin))
    b10 = int(np.sum(a_bin & ~b_bin))
    n = b01 + b10
    if n == 0:
        return McNemarResult(b01, b10, 0.0, 1.0, "none")
    if n < EXACT_BELOW:
        return McNemarResult(b01, b10, float(min(b01, b10)), _binomial_two_sided(b01, n), "exact")
    chi2 = max(abs(b01 - b10) - 1.0, 0.0) ** 2 / n
    return McNemarResult(b01, b10, chi2, _chi2_one_df_sf(chi2), "chi2")


def sign_flip_test(d: np.ndarray, exact_below: int = EXACT_BELOW) -> SignFlipResult:
    """Two-sided test that differences d are symmetric about 0 (each sign equally likely).

    The statistic is T = sum(d). For integer differences (sums of 0/1 outcomes): exact (the full
    sign-flip distribution, by convolution) when fewer than `exact_below` entries are non-zero;
    otherwise the normal approximation with variance sum(d^2) and continuity correction
    gcd(|d|), reported as the chi-square value z^2. On 0/1 differences this is McNemar's test
    exactly, exact and chi-square branches alike. Differences that are not integers (sums of
    per-example scores such as a QA answer's F1) take `_sign_flip_continuous`.
    """
    values = np.asarray(d, dtype=np.float64).ravel()
    if not np.all(np.isfinite(values)):
        raise XstiltsError("sign_flip_test needs finite differences")
    if not np.array_equal(values, np.round(values)):
        return _sign_flip_continuous(values)
    nonzero = np.abs(values[values != 0]).astype(np.int64)
    total = float(values.sum())
    if nonzero.size == 0:
        return SignFlipResult(0.0, 1.0, 0, "none")
    if nonzero.size < exact_below:
        return SignFlipResult(total, _sign_flip_exact(nonzero, total), int(nonzero.size), "exact")
    step = float(np.gcd.reduce(nonzero))
    z = max(abs(total) - step, 0.0) / math.sqrt(float(np.sum(nonzero.astype(np.float64) ** 2)))
    return SignFlipResult(z * z, _chi2_one_df_sf(z * z), int(nonzero.size), "chi2")


CONTINUOUS_EXACT_UP_TO = 16  # non-zero differences enumerated exactly (2^16 sign patterns)


def _sign_flip_continuous(values: np.ndarray) -> SignFlipResult:
    """The sign-flip test of real-valued differences: exact over every sign pattern of the
    non-zero ones when there are at most `CONTINUOUS_EXACT_UP_TO`, else the normal
    approximation T / sqrt(sum d^2) (no continuity correction: the support has no lattice),
    reported as z^2."""
    nonzero = np.abs(values[values != 0])
    total = float(values.sum())
    if nonzero.size == 0:
        return SignFlipResult(0.0, 1.0, 0, "none")
    if nonzero.size <= CONTINUOUS_EXACT_UP_TO:
        patterns = np.array(list(itertools.product((-1.0, 1.0), repeat=nonzero.size)))
        sums = np.abs(patterns @ nonzero)
        p_value = float(np.mean(sums >= abs(total) - 1e-12 * max(1.0, abs(total))))
        return SignFlipResult(total, min(1.0, p_value), int(nonzero.size), "exact")
    z2 = total * total / float(np.sum(nonzero**2))
    return SignFlipResult(z2, _chi2_one_df_sf(z2), int(nonzero.size), "chi2")


def _sign_flip_exact(magnitudes: np.ndarray, total: float) -> float:
    pmf = np.ones(1)
    for m in magnitudes:
        grown = np.zeros(len(pmf) + 2 * int(m))
        grown[: len(pmf)] += 0.5 * pmf
        grown[2 * int(m) :] += 0.5 * pmf
        pmf = grown
    reach = int(magnitudes.sum())
    support = np.arange(-reach, reach + 1)
    return float(min(1.0, pmf[np.abs(support) >= abs(total)].sum()))


def _binomial_two_sided(k: int, n: int) -> float:
    """min(1, 2 P(X <= min(k, n-k))) for X ~ Binomial(n, 1/2), summed in log space."""
    low = min(k, n - k)
    logs = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) - n * math.log(2.0)
        for i in range(low + 1)
    ]
    top = max(logs)
    log_tail = top + math.log(sum(math.exp(x - top) for x in logs))
    return min(1.0, 2.0 * math.exp(log_tail))


def _chi2_one_df_sf(x: float) -> float:
    return math.erfc(math.sqrt(x / 2.0))


def _differences(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a_arr = np.asarray(a, dtype=np.float64).ravel()
    b_arr = np.asarray(b, dtype=np.float64).ravel()
    if a_arr.shape != b_arr.shape:
        raise XstiltsError(f"paired vectors differ in length: {a_arr.size} and {b_arr.size}")
    if a_arr.size == 0:
        raise XstiltsError("paired vectors are empty: nothing to compare")
    if not (np.all(np.isfinite(a_arr)) and np.all(np.isfinite(b_arr))):
        raise XstiltsError("paired vectors contain NaN or infinity; drop or fill those rows first")
    return a_arr - b_arr


def _check_resampling(n_resamples: int, confidence: float) -> None:
    if n_resamples < 1:
        raise XstiltsError(f"n_resamples must be at least 1, got {n_resamples}")
    if not 0.0 < confidence < 1.0:
        raise XstiltsError(f"confidence must be in (0, 1), got {confidence}")


def _codes(labels: np.ndarray | None, n: int, name: str) -> np.ndarray:
    if labels is None:
        return np.arange(n) if name == "clusters" else np.zeros(n, dtype=np.int64)
    arr = np.asarray(labels)
    if arr.shape != (n,):
        raise XstiltsError(f"{name} must have one label per row ({n}), got shape {arr.shape}")
    return np.unique(arr, return_inverse=True)[1].ravel()


def _unit_strata(unit_ids: np.ndarray, stratum_codes: np.ndarray) -> np.ndarray:
    n_units = int(unit_ids.max()) + 1
    first = np.full(n_units, -1, dtype=np.int64)
    first[unit_ids[::-1]] = stratum_codes[::-1]
    if np.any(first[unit_ids] != stratum_codes):
        raise XstiltsError("a cluster spans several strata; cluster ids must nest within strata")
    return first


def _binary(x: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(x).ravel()
    if not np.all(np.isin(arr, (0, 1))):
        raise XstiltsError(f"mcnemar needs 0/1 correctness; {name} holds other values")
    return arr.astype(bool)
