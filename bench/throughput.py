"""Training throughput of the full profile's model on this machine's accelerator.

XLM-R Large's architecture (random weights: speed does not depend on their values, and the hub
may be unreachable) in the repo's own `MultiTaskModel`, one optimizer step as the training loop
takes it (AdamW, clipping, accelerate), on batches of full-length sequences. Prints tokens per
second per (precision, sequence length); `plan.tokens_per_second` in profiles/full.yaml comes
from this. Usage: `python bench/throughput.py [--out FILE]`.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from accelerate import Accelerator
from transformers import XLMRobertaConfig, XLMRobertaModel

from xstilts.modeling.device import model_device
from xstilts.modeling.model import HeadInfo, MultiTaskModel

LARGE = {  # FacebookAI/xlm-roberta-large config.json
    "vocab_size": 250002,
    "hidden_size": 1024,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "intermediate_size": 4096,
    "max_position_embeddings": 514,
    "type_vocab_size": 1,
    "pad_token_id": 1,
    "bos_token_id": 0,
    "eos_token_id": 2,
}


def measure(precision: str, batch: int, length: int, steps: int, warmup: int) -> float:
    cpu = model_device().type == "cpu"  # the training loop's device choice
    accelerator = Accelerator(cpu=cpu, mixed_precision=precision)
    encoder = XLMRobertaModel(XLMRobertaConfig(**LARGE), add_pooling_layer=False)
    model = MultiTaskModel(encoder, [HeadInfo("nli", "pair", ("a", "b", "c"))])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    model, optimizer = accelerator.prepare(model, optimizer)
    ids = torch.randint(5, LARGE["vocab_size"], (batch, length), device=accelerator.device)
    mask = torch.ones_like(ids)
    labels = torch.randint(0, 3, (batch,), device=accelerator.device)
    for step in range(warmup + steps):
        if step == warmup:
            torch.cuda.synchronize()
            start = time.perf_counter()
        logits = model("nli", ids, mask)
        loss = torch.nn.functional.cross_entropy(logits.float(), labels)
        accelerator.backward(loss)
        accelerator.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    del model, optimizer
    torch.cuda.empty_cache()
    return steps * batch * length / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    parser.add_argument("--steps", type=int, default=15)
    args = parser.parse_args()
    results = []
    grid = [("bf16", 32, 128), ("bf16", 32, 256), ("bf16", 8, 512), ("no", 32, 256)]
    for precision, batch, length in grid:
        tps = measure(precision, batch, length, args.steps, warmup=5)
        row = {"precision": precision, "batch": batch, "length": length, "tokens_per_s": tps}
        print(json.dumps(row), flush=True)
        results.append(row)
    info = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "runs": results}
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            json.dump(info, out, indent=2)


if __name__ == "__main__":
    main()
