"""Splitting work across processes so that results do not depend on how many there are.

Every process builds the same global batch (same indices, same masks: the CPU generator that
draws them is seeded alike everywhere), then takes its own rows. A global batch of B rows runs
as `accumulation_steps` micro-steps on each of W processes: W x A chunks of near-equal size,
rows sorted by length first so that each chunk pads little. A chunk's mean loss is scaled by
its share of the global batch's loss terms, so the accumulated, all-reduced gradient is the
gradient of the global batch's mean loss, whatever W and the per-device batch size are.
Evaluation shards examples across processes, padded to equal shard sizes (every process runs
the same number of forward passes, which sharded models need), and sums counts.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import torch

Batch = dict[str, torch.Tensor]
T = TypeVar("T")


def accumulation_steps(global_batch: int, per_device: int | None, processes: int) -> int:
    """Micro-steps per optimizer step: enough for `global_batch` rows at `per_device` each."""
    if per_device is None:
        per_device = math.ceil(global_batch / processes)
    return max(1, math.ceil(global_batch / (per_device * processes)))


@dataclass(frozen=True)
class Chunk:
    """One process's micro-batch and the share of the global loss it carries."""

    batch: Batch
    scale: float


def row_lengths(batch: Batch) -> torch.Tensor:
    mask = batch["attention_mask"]
    return mask.sum(1) if mask.dim() == 2 else mask.sum(-1).amax(-1)


def take_rows(batch: Batch, rows: list[int]) -> Batch:
    """The given rows, with padding columns that no row needs removed."""
    index = torch.tensor(rows, dtype=torch.long)
    picked = {key: value.index_select(0, index) for key, value in batch.items()}
    width = int(row_lengths(picked).max())
    for key in ("input_ids", "attention_mask"):
        picked[key] = picked[key][..., :width]
    if "labels" in picked and picked["labels"].dim() == 2:  # token labels (masked LM)
        picked["labels"] = picked["labels"][:, :width]
    return picked


def chunks_for_process(
    batch: Batch, weights: torch.Tensor, rank: int, processes: int, steps: int
) -> list[Chunk]:
    """This process's `steps` micro-batches of a global batch.

    `weights[i]` is the number of loss terms of row i (1 for classification, its masked tokens
    for MLM). With a single chunk in all (one process, one step) the batch is returned as is,
    so the plain single-device loop is reproduced bit for bit."""
    total = float(weights.sum())
    if processes * steps == 1:
        return [Chunk(batch, 1.0)]
    lengths = row_lengths(batch).tolist()
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    bounds = [round(k * len(order) / (processes * steps)) for k in range(processes * steps + 1)]
    parts = [order[a:b] for a, b in itertools.pairwise(bounds)]
    mine = parts[rank::processes]
    chunks = []
    for rows in mine:
        if not rows:  # fewer rows than chunks: a zero-weight stand-in keeps processes in step
            chunks.append(Chunk(take_rows(batch, [order[0]]), 0.0))
            continue
        share = float(weights[rows].sum())
        chunks.append(Chunk(take_rows(batch, rows), share / total if total else 0.0))
    return chunks


def shard(items: Sequence[T], rank: int, processes: int) -> tuple[list[T], int]:
    """Items rank, rank + W, ...; padded with repeats to equal length. Returns (items, real)."""
    mine = list(items[rank::processes])
    size = math.ceil(len(items) / processes)
    real = len(mine)
    if items and real < size:
        mine += [items[0]] * (size - real)
    return mine, real
