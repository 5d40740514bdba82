"""Does a pretrained encoder read its context, and does it align the languages?

Prints the two probes of `xstilts.pretraining.probes` for any MLM directory (the tracked sample
encoder by default; `models/base` after `make repro`):
- copy probe: masked-token accuracy on English corpus lines alone, after an unmasked copy of
  the line (the answer stands in the input) and after an unrelated line;
- translation retrieval: how often a sentence's nearest English sentence (mean-pooled vectors)
  is its translation, on the XNLI-shaped test premises (chance 1/300).
`xstilts pretrain` records the same numbers in the encoder's meta.json; REPRODUCE.md discusses
them.

  python scripts/copy_probe.py [--model pretrained] [--data data]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from xstilts.pretraining.mlm import probe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=Path("pretrained"))
    parser.add_argument("--data", type=Path, default=Path("data"))
    args = parser.parse_args()
    probes = probe(args.model, args.data)
    print(f"{args.model}\n\n| copy probe: input | masked-token accuracy |\n|---|---|")
    for name, accuracy in probes["copy"].items():
        print(f"| {name} | {accuracy:.3f} |")
    print("\n| language | translation retrieval (top-1 among English) |\n|---|---|")
    for lang, accuracy in probes["translation_retrieval"].items():
        print(f"| {lang} | {accuracy:.3f} |")


if __name__ == "__main__":
    main()
