"""The retrieve stage's scoring on the device it runs on: seconds for Tatoeba (clean both ways,
every perturbation family, both attacks) and BUCC, with XLM-R Large's architecture and random
weights (or --tiny).

The encoder is placed as the stage places it (`model_device`, or --device like
$XSTILTS_DEVICE); the sets are the sample world's Tatoeba- and BUCC-shaped ones (`data/retrieval`,
five languages, 300 pairs each; BUCC 2 x 1,000 sentences a language), tokenized by the sample
encoder's tokenizer; the families, strengths and attacks are params.yaml's
(`stages.retrieve.query_robustness`), and the scoring is the stage's own
(`retrieval.evaluation.tatoeba_scores`, `bucc_scores`). With random weights the scores come
from shared tokens alone and the attacks have little to attack, so the attack time is a floor;
what this checks on a GPU is that every step of the stage runs there, and how long it takes.

  PYTHONPATH=src python3 bench/retrieval_device.py                      # GPU
  PYTHONPATH=src python3 bench/retrieval_device.py --device cpu --tiny  # smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch
from train_throughput import model_config
from transformers import XLMRobertaModel

from xstilts.config import load_params
from xstilts.modeling.device import DEVICE_VARIABLE, model_device
from xstilts.modeling.model import load_tokenizer
from xstilts.retrieval.evaluation import bucc_scores, tatoeba_scores
from xstilts.retrieval.sources import read_bucc_split, tatoeba_pairs
from xstilts.stages.retrieve import query_robustness

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cuda", "cpu"), help="default: the pipeline's")
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=128)
    args = parser.parse_args()
    if args.device:
        os.environ[DEVICE_VARIABLE] = args.device
    params = load_params(REPO / "params.yaml")
    tokenizer = load_tokenizer(REPO / "pretrained")
    torch.manual_seed(0)
    config = model_config(args)
    config.vocab_size = max(config.vocab_size, len(tokenizer))  # the tiny one's is smaller
    encoder = XLMRobertaModel(config, add_pooling_layer=False)
    encoder = encoder.to(model_device()).eval()
    device = next(encoder.parameters()).device
    languages = [lang for lang in params.sample_world.languages if lang != "en"]
    lines = (REPO / "data/retrieval/tatoeba/test.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    sets = tatoeba_pairs(rows, languages)
    splits = {
        lang: {
            name: read_bucc_split(REPO / "data/retrieval", lang, name) for name in ("dev", "test")
        }
        for lang in languages
    }
    robustness = query_robustness(params, REPO / "data/lexicon", tokenizer)
    options = {"max_length": args.max_length, "batch_size": args.batch_size}
    timings = {}
    started = time.perf_counter()
    metrics, found = tatoeba_scores(encoder, tokenizer, sets, robustness, 0, **options)
    timings["tatoeba (clean, families, attacks)"] = (time.perf_counter() - started, len(found))
    started = time.perf_counter()
    bucc = bucc_scores(encoder, tokenizer, splits, **options)
    sentences = sum(len(s.source) + len(s.target) for by in splits.values() for s in by.values())
    timings["bucc (both splits)"] = (time.perf_counter() - started, sentences)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"device: {name}; {'tiny' if args.tiny else 'XLM-R Large'} architecture, random "
          f"weights; {len(languages)} languages; max length {args.max_length}\n")  # fmt: skip
    print("| part | s | rows or sentences |\n|---|---|---|")
    for part, (seconds, count) in timings.items():
        print(f"| {part} | {seconds:.2f} | {count:,} |")
    print(f"\nTatoeba mean {100 * metrics['mean']:.1f}%, BUCC mean F1 {100 * bucc['mean']:.1f}% "
          "(random weights: shared tokens such as names, not learning)")  # fmt: skip


if __name__ == "__main__":
    main()
