"""One-sided exact binomial test: is an accuracy above the chance level?

Summed in log space, so it stays exact and finite for test sets of any size (no scipy needed).
"""

from __future__ import annotations

import math

from xstilts.errors import XstiltsError


def binomial_upper_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p): the one-sided p-value of k successes in n trials."""
    if not 0 <= k <= n:
        raise XstiltsError(f"binomial test needs 0 <= k <= n, got k={k}, n={n}")
    if not 0.0 < p < 1.0:
        raise XstiltsError(f"binomial test needs a probability in (0, 1), got {p}")
    if k == 0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    log_n = math.lgamma(n + 1)
    logs = [
        log_n - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
        for i in range(k, n + 1)
    ]
    top = max(logs)
    return min(1.0, math.exp(top + math.log(sum(math.exp(x - top) for x in logs))))


def above_chance_p(accuracy: float, n: int, chance: float) -> float:
    """One-sided exact binomial p-value of `accuracy` on `n` examples against `chance`.

    The number correct is `round(accuracy * n)`: accuracies in the metrics files are fractions
    of whole examples (or seed means of them, with `n` summed over seeds).
    """
    return binomial_upper_tail(round(accuracy * n), n, chance)
