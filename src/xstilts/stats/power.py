"""How small a difference a paired comparison of this run could have detected.

A comparison that is not significant says little unless the run could have seen a difference of
the size that matters. For each comparison the report states the minimum detectable difference
(MDD): the smallest true difference in mean per-row outcome that its test would find with
probability `power` at level `alpha`.

The test is `sign_flip_test` on the per-example sums d_i of the paired differences (an example's
rows over seeds summed; N rows in all). Its normal approximation rejects when
|T| > z(1 - alpha/2) sqrt(S), with T = sum d_i and S = sum d_i^2. If the true mean difference per
row is delta, E[T] = delta N; holding the per-example discordance S at its observed value, the
test rejects with probability about Phi(|delta| N / sqrt(S) - z(1 - alpha/2)), so

    MDD = (z(1 - alpha/2) + z(power)) * sqrt(S) / N.

sqrt(S) / N is the standard error of the mean difference under the test's null (`null_se`). The
MDD shrinks as examples and seeds are added (N grows faster than sqrt(S)) and grows with
discordance: two models that err on different examples need more of them to tell apart.
Approximations, stated in the report: the normal approximation (with fewer than about 25
discordant examples the exact test is more conservative, so the MDD is then optimistic) and the
discordance held at its observed level (a larger true difference usually comes with more
discordant examples, which raises the MDD a little). With no discordant example at all (S = 0)
the run carries no information about the variance and the MDD is undefined (NaN).

`alpha` is per comparison. Under Holm's correction a comparison of a family of m must reach
p <= alpha / m at the first step and p <= alpha at the last, so the MDD of a family lies between
the values at alpha / m and at alpha; the report gives both.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from xstilts.errors import XstiltsError


def null_se(example_sums: np.ndarray, n_rows: int) -> float:
    """sqrt(sum d_i^2) / N: the standard error of the mean per-row difference under the
    sign-flip null, from the per-example sums d_i of N paired rows."""
    if n_rows < 1:
        raise XstiltsError(f"null_se needs at least one row, got {n_rows}")
    values = np.asarray(example_sums, dtype=np.float64)
    return float(math.sqrt(float(np.sum(values * values))) / n_rows)


def detectable_difference(se: float, alpha: float, power: float) -> float:
    """The minimum detectable difference (z(1 - alpha/2) + z(power)) * se; NaN when se is 0 or
    NaN (no discordant example: nothing is known about the spread)."""
    if not (0 < alpha < 1 and 0 < power < 1):
        raise XstiltsError(f"alpha and power must be in (0, 1), got {alpha} and {power}")
    if not math.isfinite(se) or se <= 0:
        return math.nan
    normal = NormalDist()
    return (normal.inv_cdf(1 - alpha / 2) + normal.inv_cdf(power)) * se
