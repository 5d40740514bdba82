"""Statistics for the research question: is multi-task intermediate training more robust?

Paired bootstrap intervals and McNemar tests on identical (perturbed) inputs, pooled across seeds
by example, with Holm correction over each table's family of hypotheses.
"""

from xstilts.stats.binomial import above_chance_p, binomial_upper_tail
from xstilts.stats.compare import COMPARE_COLUMNS, DEFAULT_PAIRS, compare
from xstilts.stats.correction import holm
from xstilts.stats.drops import (
    DROP_COLUMNS,
    DROP_COMPARE_COLUMNS,
    compare_drops,
    robustness_drops,
)
from xstilts.stats.paired import (
    Interval,
    McNemarResult,
    SignFlipResult,
    mcnemar,
    paired_bootstrap,
    sign_flip_test,
)
from xstilts.stats.seeds import SeedSummary, summarize_seeds

__all__ = [
    "COMPARE_COLUMNS",
    "DEFAULT_PAIRS",
    "DROP_COLUMNS",
    "DROP_COMPARE_COLUMNS",
    "Interval",
    "McNemarResult",
    "SeedSummary",
    "SignFlipResult",
    "above_chance_p",
    "binomial_upper_tail",
    "compare",
    "compare_drops",
    "holm",
    "mcnemar",
    "paired_bootstrap",
    "robustness_drops",
    "sign_flip_test",
    "summarize_seeds",
]
