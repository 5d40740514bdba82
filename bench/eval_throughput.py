"""Evaluation throughput (examples/s) of our prediction path against a plain baseline.

XLM-R Large's architecture with random weights (or --tiny), sentence-pair classification, six
languages of --per-language examples each with MNLI-like lengths (see synthetic.py):

  ours      xstilts.modeling.predict.predict_features over all languages at once: sorted by length,
            dynamic padding, batches of --batch-size, bf16 autocast on CUDA, no per-batch sync
  baseline  one language at a time, input order, batches of 32 padded to max length, fp32

The model is placed by `xstilts.modeling.device.to_model_device`, as `load_checkpoint` places
every checkpoint the pipeline evaluates: on the GPU when there is one (or $XSTILTS_DEVICE), so
this measures the device the evaluate stage runs on; --device overrides it like $XSTILTS_DEVICE.

  PYTHONPATH=src python3 bench/eval_throughput.py                      # GPU
  PYTHONPATH=src python3 bench/eval_throughput.py --device cpu --tiny  # smoke test
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from synthetic import PAD_ID, features
from train_throughput import model_config
from transformers import XLMRobertaModel

from xstilts.modeling.device import DEVICE_VARIABLE, to_model_device
from xstilts.modeling.encoding import collate
from xstilts.modeling.model import HeadInfo, MultiTaskModel
from xstilts.modeling.predict import predict_features

LANGUAGES = 6


@torch.inference_mode()
def baseline(model: MultiTaskModel, data: list[list[dict]], max_length: int) -> None:
    device = next(model.parameters()).device
    for language in data:
        for start in range(0, len(language), 32):
            batch = collate(language[start : start + 32], PAD_ID)
            ids = torch.full((len(batch["labels"]), max_length), PAD_ID, dtype=torch.long)
            mask = torch.zeros_like(ids)
            ids[:, : batch["input_ids"].shape[1]] = batch["input_ids"]
            mask[:, : batch["input_ids"].shape[1]] = batch["attention_mask"]
            logits = model("mnli", ids.to(device), mask.to(device))
            torch.softmax(logits.float(), -1).cpu()


def timed(fn, device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cuda", "cpu"), help="default: the pipeline's")
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--per-language", type=int, default=None, help="default 2000 (GPU), 200")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--max-length", type=int, default=256)
    args = parser.parse_args()
    per_language = args.per_language or (200 if args.tiny else 2000)
    torch.manual_seed(0)
    config = model_config(args)
    head = HeadInfo("mnli", "pair", ("e", "n", "c"))
    encoder = XLMRobertaModel(config, add_pooling_layer=False)
    if args.device:
        os.environ[DEVICE_VARIABLE] = args.device
    model = to_model_device(MultiTaskModel(encoder, [head]).eval())
    device = next(model.parameters()).device
    data = [
        features(per_language, args.max_length, config.vocab_size, 3, seed=lang)
        for lang in range(LANGUAGES)
    ]
    flat = [f for language in data for f in language]
    ours = lambda: predict_features(model, "mnli", flat, PAD_ID, args.batch_size)  # noqa: E731
    ours()  # warm-up (kernel selection, allocator)
    results = {
        "ours": timed(ours, device),
        "baseline": timed(lambda: baseline(model, data, args.max_length), device),
    }
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"device: {name}; {'tiny' if args.tiny else 'XLM-R Large'} architecture, random "
          f"weights; {LANGUAGES} languages x {per_language} examples, max length "
          f"{args.max_length}\n")  # fmt: skip
    print("| path | s | examples/s | vs baseline |\n|---|---|---|---|")
    for name, seconds in results.items():
        speedup = results["baseline"] / seconds
        print(f"| {name} | {seconds:.2f} | {len(flat) / seconds:,.0f} | {speedup:.2f}x |")


if __name__ == "__main__":
    main()
