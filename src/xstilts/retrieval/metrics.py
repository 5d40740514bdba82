"""The retrieval benchmarks' metrics, as XTREME's scripts compute them.

- Tatoeba: accuracy of the nearest neighbour (cosine) in each direction; row i of one side is
  the translation of row i of the other.
- BUCC: precision, recall and F1 of the mined pairs whose margin score reaches a threshold. The
  threshold is the one that maximises F1 on the dev split's gold pairs (XTREME's
  `bucc_optimize`: pairs sorted by score, the cut after the best prefix, placed halfway to the
  next score) and is then applied to the test split.
- LAReQA and Mewsli-X: mean average precision at 20 over queries with several relevant
  candidates (XTREME-R's `utils_lareqa.average_precision_at_k`: precision at each relevant hit
  among the first k, summed, over min(relevant, k)).
- The rank of each query's gold candidate (1 = nearest), what a retrieval attack pushes down.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import torch

from xstilts.retrieval.mining import MinedPair
from xstilts.retrieval.search import KEY_BLOCK, QUERY_BLOCK, normalized, top_k


def nearest_accuracy(queries: torch.Tensor, candidates: torch.Tensor) -> float:
    """Share of queries whose nearest candidate (cosine) is the one on the same row."""
    if len(queries) != len(candidates):
        raise ValueError(
            f"{len(queries)} queries and {len(candidates)} candidates: the sides of a parallel "
            "set have one row per pair"
        )
    if len(queries) == 0:
        raise ValueError("no pairs to retrieve")
    found = top_k(normalized(queries), normalized(candidates), 1).indices[:, 0]
    hits = (found == torch.arange(len(queries), device=found.device)).sum().item()
    return hits / len(queries)


@dataclass(frozen=True)
class MiningScore:
    precision: float
    recall: float
    f1: float
    threshold: float
    extracted: int


def best_threshold(scored: Sequence[tuple[tuple[str, str], float]], gold: Collection) -> float:
    """The score threshold whose extracted pairs (score >= threshold) have the best F1 against
    `gold`: halfway between the last pair kept and the next one (at the last pair itself when
    every pair is kept; XTREME's script would index past its list there). With no correct pair
    at all, +inf: nothing is extracted."""
    ordered = sorted(scored, key=lambda item: -item[1])
    correct, best_f1, threshold = 0, 0.0, float("inf")
    for extracted, (pair, score) in enumerate(ordered, start=1):
        correct += pair in gold
        if correct == 0:
            continue
        f1 = _f1(correct, extracted, len(gold))
        if f1 > best_f1:
            best_f1 = f1
            following = ordered[extracted][1] if extracted < len(ordered) else score
            threshold = (score + following) / 2
    return threshold


def mining_score(
    scored: Sequence[tuple[tuple[str, str], float]], gold: Collection, threshold: float
) -> MiningScore:
    """Precision, recall and F1 (in [0, 1]) of the pairs scoring at least `threshold`."""
    if not gold:
        raise ValueError("no gold pairs: F1 is undefined")
    kept = {pair for pair, score in scored if score >= threshold}
    correct = len(kept & set(gold))
    precision = correct / len(kept) if kept else 0.0
    return MiningScore(
        precision, correct / len(gold), _f1(correct, len(kept), len(gold)), threshold, len(kept)
    )


def scored_ids(
    pairs: Sequence[MinedPair], source_ids: Sequence[str], target_ids: Sequence[str]
) -> list[tuple[tuple[str, str], float]]:
    """Mined rows as (source id, target id) with their scores."""
    return [((source_ids[p.source], target_ids[p.target]), p.score) for p in pairs]


def _f1(correct: int, extracted: int, gold: int) -> float:
    if correct == 0:
        return 0.0
    precision, recall = correct / extracted, correct / gold
    return 2 * precision * recall / (precision + recall)


def average_precision_at_k(relevant: Collection[int], ranked: Sequence[int], k: int) -> float:
    """AP@k of one query: `ranked` candidates best first, `relevant` the right ones."""
    if not relevant:
        raise ValueError("a query without a relevant candidate has no average precision")
    hits, total = 0, 0.0
    for position, candidate in enumerate(ranked[:k], start=1):
        if candidate in relevant:
            hits += 1
            total += hits / position
    return total / min(len(relevant), k)


def mean_average_precision_at_k(
    queries: torch.Tensor,
    candidates: torch.Tensor,
    relevant: Sequence[Collection[int]],
    k: int = 20,
) -> float:
    """mAP@k by dot product of the given vectors (cosine when both are `normalized`)."""
    if len(relevant) != len(queries):
        raise ValueError(f"{len(queries)} queries but relevant sets for {len(relevant)}")
    ranked = top_k(queries, candidates, k).indices.tolist()
    scores = [
        average_precision_at_k(set(r), order, k) for r, order in zip(relevant, ranked, strict=True)
    ]
    return sum(scores) / len(scores)


def gold_ranks(queries: torch.Tensor, candidates: torch.Tensor, gold: torch.Tensor) -> torch.Tensor:
    """For each query, the place of its gold candidate `gold[i]` when the candidates are ordered
    by dot product, best first, a tie going to the lower index (as `top_k` and an argmax order
    them): 1 + the candidates scoring higher, + those scoring the same at a lower index.

    Scores come a block of candidates at a time, each block from one matrix product, the gold
    candidate's own score included (a first pass reads it there), so two equal candidates (a
    sentence that occurs twice) score exactly the same and the lower index wins."""
    if gold.shape != (len(queries),):
        raise ValueError(
            f"one gold candidate per query: {len(queries)} queries, {tuple(gold.shape)}"
        )
    queries, candidates = queries.float(), candidates.float()
    gold = gold.to(queries.device)
    ranks = torch.ones(len(queries), dtype=torch.long, device=queries.device)
    for start in range(0, len(queries), QUERY_BLOCK):
        block = queries[start : start + QUERY_BLOCK]
        own = gold[start : start + QUERY_BLOCK]
        golden = torch.empty(len(block), device=block.device)
        for first, scores in _score_blocks(block, candidates):
            inside = (own >= first) & (own < first + scores.shape[1])
            golden[inside] = scores[inside].gather(1, (own[inside] - first)[:, None])[:, 0]
        for first, scores in _score_blocks(block, candidates):
            columns = torch.arange(first, first + scores.shape[1], device=scores.device)
            ahead = (scores > golden[:, None]) | (
                (scores == golden[:, None]) & (columns[None, :] < own[:, None])
            )
            ranks[start : start + len(block)] += ahead.sum(dim=1)
    return ranks


def _score_blocks(block: torch.Tensor, candidates: torch.Tensor):
    """(first column, scores) of each block of candidates against the query block."""
    for first in range(0, len(candidates), KEY_BLOCK):
        yield first, block @ candidates[first : first + KEY_BLOCK].T
