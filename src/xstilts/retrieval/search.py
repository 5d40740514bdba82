"""Top-k cosine neighbours in bounded memory.

A BUCC-sized search (250,000 sentences on each side) would hold a 250k x 250k score matrix,
233 GiB in float32. Here queries and keys are both cut into blocks: each query block is scored
against one key block at a time, and the running top k of every query is merged with the
block's own top k, so memory is one block of scores (`query_block` x `key_block`) plus the
k best per query. Blocks are matrix products on the tensors' device, so on a GPU the work stays
there. faiss (what XTREME's scripts call) was not taken: its exact flat index is the same
matrix product, and its wheels pin NumPy versions against this project's.

Within the candidates a merge sees, equal scores go to the lower key index; which of several
keys tied exactly at the k-th place of one block survives is `torch.topk`'s choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

QUERY_BLOCK = 4096
KEY_BLOCK = 16384


@dataclass(frozen=True)
class Neighbours:
    """For each query, its k most similar keys, best first: `scores` and `indices` are both
    (n_queries, k)."""

    scores: torch.Tensor
    indices: torch.Tensor


def normalized(vectors: torch.Tensor) -> torch.Tensor:
    """Rows scaled to unit length (a zero row stays zero), so that dot products are cosines."""
    if vectors.ndim != 2:
        raise ValueError(f"expected a (rows, dim) matrix, got shape {tuple(vectors.shape)}")
    return torch.nn.functional.normalize(vectors.float(), dim=1)


def top_k(
    queries: torch.Tensor,
    keys: torch.Tensor,
    k: int,
    query_block: int = QUERY_BLOCK,
    key_block: int = KEY_BLOCK,
) -> Neighbours:
    """The k keys with the highest dot product for each query (cosine when both sides are
    `normalized`), never holding more than `query_block` x `key_block` scores at once."""
    if queries.shape[1:] != keys.shape[1:]:
        raise ValueError(
            f"queries have dimension {tuple(queries.shape[1:])}, keys {tuple(keys.shape[1:])}"
        )
    if k < 1 or query_block < 1 or key_block < 1:
        raise ValueError("k and the block sizes must be positive")
    k = min(k, keys.shape[0])
    queries, keys = queries.float(), keys.float()  # once, not per block (no copy if float32)
    scores = torch.empty((queries.shape[0], k), dtype=torch.float32, device=queries.device)
    indices = torch.empty((queries.shape[0], k), dtype=torch.long, device=queries.device)
    for start in range(0, queries.shape[0], query_block):
        block = queries[start : start + query_block]
        best_scores, best_indices = _block_top_k(block, keys, k, key_block)
        scores[start : start + len(block)] = best_scores
        indices[start : start + len(block)] = best_indices
    return Neighbours(scores, indices)


def _block_top_k(
    block: torch.Tensor, keys: torch.Tensor, k: int, key_block: int
) -> tuple[torch.Tensor, torch.Tensor]:
    best_scores = torch.empty((len(block), 0), device=block.device)
    best_indices = torch.empty((len(block), 0), dtype=torch.long, device=block.device)
    for start in range(0, keys.shape[0], key_block):
        scores = block @ keys[start : start + key_block].T
        part_scores, part_indices = torch.topk(scores, min(k, scores.shape[1]), dim=1)
        merged_scores = torch.cat([best_scores, part_scores], dim=1)
        merged_indices = torch.cat([best_indices, part_indices + start], dim=1)
        order = _best_first(merged_scores, merged_indices)[:, :k]
        best_scores = merged_scores.gather(1, order)
        best_indices = merged_indices.gather(1, order)
    return best_scores, best_indices


def _best_first(scores: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """Positions in each row ordered by score, then by lower key index (two stable sorts)."""
    by_index = torch.argsort(indices, dim=1, stable=True)
    by_score = torch.sort(scores.gather(1, by_index), dim=1, descending=True, stable=True).indices
    return by_index.gather(1, by_score)
