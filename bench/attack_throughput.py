"""Attack throughput: our batched, cached attack against a naive loop, same model, examples and
budget, in one run.

- ours: `xstilts.attack.CachedScorer`: each search step scores all its candidates in one batch
  through the shared `predict` path (length-sorted, dynamically padded), with a cache.
- naive: the same search, but every candidate is a separate forward pass padded to the maximum
  length, and nothing is cached (TextAttack's default HF model wrapper behaves like this).

Model: a sample-profile target checkpoint when one exists (`models/target/...`), else a freshly
initialised tiny XLM-R classifier with the sample tokenizer trained here. Prints a table and the
speed-up. Usage: PYTHONPATH=src python3 bench/attack_throughput.py [--examples 24] [--task xnli]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from xstilts import paths
from xstilts.attack import AttackBudget, Attacker, CachedScorer
from xstilts.data.prepared import read_split
from xstilts.examples import Example
from xstilts.modeling.encoding import encode
from xstilts.modeling.model import load_checkpoint
from xstilts.perturb import Resources, build_families, rng_for
from xstilts.tasks import get_task


class NaiveScorer:
    """One forward pass per candidate, padded to `max_length`, no cache."""

    def __init__(self, model, tokenizer, head: str, max_length: int) -> None:
        self.model, self.tokenizer, self.head, self.max_length = model, tokenizer, head, max_length
        self.queries = 0

    def reset(self) -> None:
        self.queries = 0

    @torch.inference_mode()
    def score(self, examples: list[Example]) -> np.ndarray:
        self.model.eval()
        rows = []
        for feature in encode(examples, self.tokenizer, self.max_length):
            ids = feature["input_ids"]
            seqs = ids if ids and isinstance(ids[0], list) else [ids]
            padded = torch.full((len(seqs), self.max_length), self.tokenizer.pad_token_id)
            mask = torch.zeros_like(padded)
            for i, seq in enumerate(seqs):
                padded[i, : len(seq)] = torch.tensor(seq)
                mask[i, : len(seq)] = 1
            if ids and isinstance(ids[0], list):
                padded, mask = padded.unsqueeze(0), mask.unsqueeze(0)
            logits = self.model(self.head, input_ids=padded, attention_mask=mask)
            rows.append(torch.softmax(logits.float(), -1)[0].numpy())
            self.queries += 1
        return np.stack(rows)


def run(attacker: Attacker, examples: list[Example], budget: AttackBudget) -> dict:
    start = time.perf_counter()
    results = [attacker.attack(e, e.lang, budget, rng_for(0, e.id, "bench")) for e in examples]
    seconds = time.perf_counter() - start
    queries = sum(r.queries for r in results)
    return {
        "seconds": seconds,
        "queries": queries,
        "flipped": sum(r.flipped for r in results),
        "qps": queries / seconds,
        "s_per_example": seconds / len(examples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="xnli")
    parser.add_argument("--condition", default="multi")
    parser.add_argument("--examples", type=int, default=24, help="4 per sample language")
    parser.add_argument("--max-length", type=int, default=128)
    args = parser.parse_args()
    torch.manual_seed(0)
    model, tokenizer, _ = load_checkpoint(paths.target_dir(args.condition, args.task, 0))
    head = get_task(args.task).head_name
    per_lang = max(1, args.examples // 6)
    examples = [
        e
        for lang in ("en", "vi", "ru", "ar", "hi", "zh")
        for e in read_split(paths.PREPARED, args.task, "test", lang)[:per_lang]
    ]
    resources = Resources(lexicon_dir=Path("data/lexicon"), tokenizer=tokenizer)
    families = build_families(["keyboard", "char_swap", "char_delete", "homoglyph"], resources)
    budget = AttackBudget(max_unit_fraction=0.2, max_queries=100, candidates_per_unit=4)
    scorers = {
        "ours (batched, cached)": CachedScorer(model, tokenizer, head, args.max_length, 64),
        "naive (one at a time, max-length)": NaiveScorer(model, tokenizer, head, args.max_length),
    }
    rows = {}
    for name, scorer in scorers.items():
        attacker = Attacker(model, tokenizer, head, families, scorer=scorer)
        rows[name] = run(attacker, examples, budget)
    print(
        f"attack throughput, {len(examples)} {args.task} examples, budget {budget}, "
        f"{torch.get_num_threads()} threads"
    )
    print("| variant | queries | flipped | seconds | queries/s | s/example |")
    print("|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['queries']} | {r['flipped']} | {r['seconds']:.1f} | "
            f"{r['qps']:.0f} | {r['s_per_example']:.3f} |"
        )
    ours, naive = rows.values()
    print(
        f"\nspeed-up (seconds per example): {naive['s_per_example'] / ours['s_per_example']:.1f}x"
    )


if __name__ == "__main__":
    main()
