"""Can the base model copy from context? A diagnostic for the sample profile's RACE result.

For English corpus lines, one token of the line is masked and the masked LM predicts it in three
inputs: the line alone; the line after an unmasked copy of itself (`<s> line </s></s> line </s>`,
so the answer stands in the input); and the line after an unrelated line (the same length effect,
no answer in the input). A model that can look a token up in its context, as reading
comprehension needs, scores far higher with the copy; XLM-R does. The lines are ones the model was
pretrained on, which favours every input alike.

  python scripts/copy_probe.py [--model models/base] [--corpus data/corpus/en.txt] [--lines 400]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import torch
from transformers import AutoTokenizer, XLMRobertaForMaskedLM


def masked_accuracy(model, tokenizer, pairs: list[tuple[str | None, str]], seed: int) -> float:
    """Accuracy on one random token of each second text, masked, after the first (if any)."""
    rng = random.Random(seed)
    correct = 0
    for first, line in pairs:
        ids = tokenizer(first, line)["input_ids"] if first else tokenizer(line)["input_ids"]
        ids = torch.tensor(ids)
        length = len(tokenizer(line, add_special_tokens=False)["input_ids"])
        position = rng.randrange(len(ids) - 1 - length, len(ids) - 1)
        gold = int(ids[position])
        ids[position] = tokenizer.mask_token_id
        with torch.inference_mode():
            logits = model(input_ids=ids[None]).logits[0, position]
        correct += int(logits.argmax()) == gold
    return correct / len(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=Path("models/base"))
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus/en.txt"))
    parser.add_argument("--lines", type=int, default=400)
    args = parser.parse_args()
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = XLMRobertaForMaskedLM.from_pretrained(args.model).eval()
    text = args.corpus.read_text(encoding="utf-8").splitlines()
    lines = [line for line in text if len(line.split()) >= 4][-args.lines :]
    shifted = lines[7:] + lines[:7]
    inputs = {
        "line alone": [(None, line) for line in lines],
        "after a copy of itself": [(line, line) for line in lines],
        "after an unrelated line": list(zip(shifted, lines, strict=True)),
    }
    print(f"{args.model}: masked-token accuracy on {len(lines)} lines of {args.corpus}\n")
    print("| input | accuracy |\n|---|---|")
    for name, pairs in inputs.items():
        print(f"| {name} | {masked_accuracy(model, tokenizer, pairs, seed=0):.3f} |")


if __name__ == "__main__":
    main()
