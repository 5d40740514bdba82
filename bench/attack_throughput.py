"""Attack throughput: our batched attack against a naive loop, same model, examples and budget,
in one run.

- ours: `Attacker.attack_many`: the searches of all examples run in lockstep and every step's
  candidates of every example are scored together through the shared `predict` path
  (length-sorted, dynamically padded batches), with a prediction cache.
- naive: the same search, one example after the other, every candidate a separate forward pass
  padded to the model's maximum length, nothing cached (TextAttack's default HF model wrapper
  behaves like this).

Models: `--model sample` is the sample-profile target checkpoint
`models/target/<condition>/<task>/seed0` (run `make repro` first; its maximum length is 128);
`--model base` is the XLM-R base architecture (12 layers, hidden 768, 512 positions) with random
weights and the sample tokenizer: speed does not depend on the weights, and its maximum length
is the 512 that TextAttack's wrapper pads to. Prints a table and the speed-up.
Usage: PYTHONPATH=src python3 bench/attack_throughput.py [--model sample|base] [--examples 60]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from transformers import XLMRobertaConfig, XLMRobertaModel

from xstilts import paths
from xstilts.attack import AttackBudget, Attacker, AttackResult
from xstilts.data.prepared import read_split
from xstilts.examples import Example
from xstilts.modeling.device import to_model_device
from xstilts.modeling.encoding import encode
from xstilts.modeling.model import HeadInfo, MultiTaskModel, load_checkpoint
from xstilts.perturb import Resources, build_families, rng_for
from xstilts.tasks import get_task

LANGUAGES = ("en", "vi", "ru", "ar", "hi", "zh")


class NaivePredictor:
    """One forward pass per input, padded to `max_length`."""

    def __init__(self, model, tokenizer, head: str, max_length: int) -> None:
        self.model, self.tokenizer, self.head, self.max_length = model, tokenizer, head, max_length

    @torch.inference_mode()
    def __call__(self, examples: list[Example]) -> np.ndarray:
        self.model.eval()
        rows = []
        for feature in encode(examples, self.tokenizer, self.max_length):
            ids = feature["input_ids"]
            choices = bool(ids) and isinstance(ids[0], list)
            seqs = ids if choices else [ids]
            padded = torch.full((len(seqs), self.max_length), self.tokenizer.pad_token_id)
            mask = torch.zeros_like(padded)
            for i, seq in enumerate(seqs):
                padded[i, : len(seq)] = torch.tensor(seq)
                mask[i, : len(seq)] = 1
            if choices:
                padded, mask = padded.unsqueeze(0), mask.unsqueeze(0)
            device = next(self.model.parameters()).device
            logits = self.model(
                self.head, input_ids=padded.to(device), attention_mask=mask.to(device)
            )
            rows.append(torch.softmax(logits.float(), -1)[0].cpu().numpy())
        return np.stack(rows)


def base_sized(tokenizer, task: str) -> MultiTaskModel:
    """XLM-R base architecture, random weights (seeded), a head for `task`, on the device
    `load_checkpoint` puts the sample checkpoint on."""
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        max_position_embeddings=514,
        type_vocab_size=1,
    )
    model = MultiTaskModel(
        XLMRobertaModel(config, add_pooling_layer=False), [HeadInfo.for_task(task)]
    )
    return to_model_device(model.eval())


def measure(run: Callable[[], list[AttackResult]]) -> dict:
    start = time.perf_counter()
    results = run()
    seconds = time.perf_counter() - start
    queries = sum(r.queries for r in results)
    return {
        "seconds": seconds,
        "queries": queries,
        "flipped": sum(r.flipped for r in results),
        "qps": queries / seconds,
        "s_per_example": seconds / len(results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="xnli")
    parser.add_argument("--condition", default="multi")
    parser.add_argument("--examples", type=int, default=60, help="split over the 6 languages")
    parser.add_argument("--model", choices=("sample", "base"), default="sample")
    args = parser.parse_args()
    torch.manual_seed(0)
    model, tokenizer, _ = load_checkpoint(paths.target_dir(args.condition, args.task, 0))
    max_length = 128
    if args.model == "base":
        model, max_length = base_sized(tokenizer, args.task), 512
    head = get_task(args.task).head_name
    per_lang = max(1, args.examples // len(LANGUAGES))
    examples = [
        e
        for lang in LANGUAGES
        for e in read_split(paths.PREPARED, args.task, "test", lang)[:per_lang]
    ]
    resources = Resources(lexicon_dir=Path("data/lexicon"), tokenizer=tokenizer)
    families = build_families(["keyboard", "char_swap", "char_delete", "homoglyph"], resources)
    budget = AttackBudget(max_unit_fraction=0.2, max_queries=100, candidates_per_unit=4)
    jobs = [(e, e.lang, rng_for(0, e.id, "bench")) for e in examples]
    ours = Attacker(model, tokenizer, head, families, max_length, batch_size=256)
    naive_predict = NaivePredictor(model, tokenizer, head, max_length)
    naive = Attacker(None, None, head, families, predict_fn=naive_predict, cache=False)
    rows = {
        "ours (lockstep batches, dynamic padding, cache)": measure(
            lambda: ours.attack_many(jobs, budget)
        ),
        "naive (one input per forward pass, max length)": measure(
            lambda: [naive.attack(e, lang, budget, rng) for e, lang, rng in jobs]
        ),
    }
    print(
        f"attack throughput: {len(examples)} {args.task} examples "
        f"(model {args.model}, max length {max_length}), {budget}, "
        f"{torch.get_num_threads()} threads"
    )
    print("| variant | queries | flipped | seconds | queries/s | s/example |")
    print("|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['queries']} | {r['flipped']} | {r['seconds']:.1f} | "
            f"{r['qps']:.0f} | {r['s_per_example']:.3f} |"
        )
    ours_row, naive_row = rows.values()
    speedup = naive_row["s_per_example"] / ours_row["s_per_example"]
    print(f"\nspeed-up (seconds per example): {speedup:.1f}x")


if __name__ == "__main__":
    main()
