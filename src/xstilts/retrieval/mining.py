"""Bitext mining with the ratio margin (Artetxe and Schwenk 2019), as XTREME scores BUCC.

A candidate pair (x, y) scores cos(x, y) divided by the mean of two neighbourhood averages: the
mean cosine of x to its k nearest targets and of y to its k nearest sources (k = 4). A sentence
that is close to everything (a hub) is thereby discounted. Each source proposes its best
target by margin among its k nearest, each target its best source; all proposals are taken in
order of score, skipping any whose source or target is already paired ("max" retrieval in
XTREME's `utils_retrieve.mine_bitext`). Scores are compared with a threshold afterwards
(`metrics.best_threshold`), so every pair is returned with its score.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from xstilts.retrieval.search import QUERY_BLOCK, normalized, top_k

NEIGHBOURHOOD = 4


@dataclass(frozen=True)
class MinedPair:
    source: int  # row of the source matrix
    target: int  # row of the target matrix
    score: float


def mine(
    sources: torch.Tensor, targets: torch.Tensor, neighbourhood: int = NEIGHBOURHOOD
) -> list[MinedPair]:
    """Pairs of (source row, target row) with their margin scores, best first, each row used
    at most once."""
    if len(sources) == 0 or len(targets) == 0:
        return []
    x, y = normalized(sources), normalized(targets)
    forward = top_k(x, y, neighbourhood)
    backward = top_k(y, x, neighbourhood)
    forward_mean, backward_mean = forward.scores.mean(dim=1), backward.scores.mean(dim=1)
    forward_best, forward_score = _best_by_margin(
        x, y, forward.indices, forward_mean, backward_mean
    )
    backward_best, backward_score = _best_by_margin(
        y, x, backward.indices, backward_mean, forward_mean
    )
    forward_pairs = zip(forward_best, forward_score, strict=True)
    backward_pairs = zip(backward_best, backward_score, strict=True)
    proposals = [
        *((score, i, j) for i, (j, score) in enumerate(forward_pairs)),
        *((score, i, j) for j, (i, score) in enumerate(backward_pairs)),
    ]
    proposals.sort(key=lambda p: (-p[0], p[1], p[2]))
    pairs, used_sources, used_targets = [], set(), set()
    for score, i, j in proposals:
        if i not in used_sources and j not in used_targets:
            used_sources.add(i)
            used_targets.add(j)
            pairs.append(MinedPair(i, j, score))
    return pairs


def _best_by_margin(
    x: torch.Tensor,
    y: torch.Tensor,
    candidates: torch.Tensor,
    x_mean: torch.Tensor,
    y_mean: torch.Tensor,
) -> tuple[list[int], list[float]]:
    """For each row of x, the candidate in y with the highest ratio margin, and that margin
    (rows a block at a time: the candidates' vectors are k rows of y per row of x)."""
    chosen, margins = [], []
    for start in range(0, len(x), QUERY_BLOCK):
        rows = candidates[start : start + QUERY_BLOCK]
        cosines = torch.einsum("nd,nkd->nk", x[start : start + QUERY_BLOCK], y[rows])
        margin = cosines / ((x_mean[start : start + QUERY_BLOCK, None] + y_mean[rows]) / 2)
        best = margin.argmax(dim=1, keepdim=True)
        chosen += rows.gather(1, best).squeeze(1).tolist()
        margins += margin.gather(1, best).squeeze(1).tolist()
    return chosen, margins
