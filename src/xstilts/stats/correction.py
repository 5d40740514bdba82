"""Holm-Bonferroni step-down adjustment of a family of p-values."""

from __future__ import annotations

import numpy as np


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values, in the input order: monotone in the raw p-values, capped at 1.

    With the m p-values sorted ascending, p_(i) becomes max_{j <= i} min(1, (m - j + 1) p_(j)).
    Rejecting where the adjusted value is <= alpha controls the family-wise error rate at alpha
    under any dependence between the tests. NaN entries are left NaN and not counted in m. Ties
    are broken by input position, which does not change the adjusted values.
    """
    p = np.asarray(p_values, dtype=np.float64).ravel()
    adjusted = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = valid.size
    if m == 0:
        return adjusted
    order = valid[np.argsort(p[valid], kind="stable")]
    scaled = (m - np.arange(m)) * p[order]
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted
