"""BUCC-sized nearest-neighbour search and margin mining in bounded memory, on synthetic vectors.

Two sides of `--rows` unit vectors each (the second a noisy copy of the first, shuffled), then
the 4 nearest targets of every source by blocked cosine search (`xstilts.retrieval.search`),
and margin mining over both directions (`xstilts.retrieval.mining`). Prints wall time, the peak
memory (GPU: `torch.cuda.max_memory_allocated`; CPU: the process's peak resident set), what a
full score matrix would take, and the share of sources whose nearest target is their copy.

Run: PYTHONPATH=src python3 bench/retrieval_search.py  (GPU: 250,000 x 250,000, dim 1024)
     PYTHONPATH=src python3 bench/retrieval_search.py --device cpu --rows 250000 --dim 32
"""

from __future__ import annotations

import argparse
import resource
import time

import torch

from xstilts.retrieval.mining import mine
from xstilts.retrieval.search import normalized, top_k


def peak_gib(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=250_000)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--skip-mining", action="store_true")
    args = parser.parse_args()
    device = torch.device(args.device)
    generator = torch.Generator(device=device).manual_seed(0)
    source = torch.randn(args.rows, args.dim, device=device, generator=generator)
    order = torch.randperm(args.rows, device=device, generator=generator)
    noise = torch.randn(args.rows, args.dim, device=device, generator=generator)
    target = (source + 0.5 * noise)[order]
    x, y = normalized(source), normalized(target)
    del noise
    gold = torch.argsort(order)  # source i's copy sits at row gold[i] of the target side
    print("| step | rows | dim | device | seconds | peak memory, GiB | full matrix, GiB |")
    print("|---|---|---|---|---|---|---|")
    full = args.rows * args.rows * 4 / 2**30
    start = time.perf_counter()
    found = top_k(x, y, 4)
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    correct = (found.indices[:, 0] == gold).float().mean().item()
    row = (
        f"{args.rows} | {args.dim} | {device} | {seconds:.1f} | {peak_gib(device):.2f} | {full:.0f}"
    )
    print(f"| 4-nn search (top-1 is the copy for {correct:.1%}) | {row} |")
    if args.skip_mining:
        return
    start = time.perf_counter()
    pairs = mine(source, target)
    seconds = time.perf_counter() - start
    right = sum(int(gold[p.source]) == p.target for p in pairs[: args.rows]) / args.rows
    row = (
        f"{args.rows} | {args.dim} | {device} | {seconds:.1f} | {peak_gib(device):.2f} | {full:.0f}"
    )
    print(f"| margin mining, both directions ({right:.1%} right) | {row} |")


if __name__ == "__main__":
    main()
