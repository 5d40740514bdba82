"""Tatoeba-shaped retrieval of the sample run's encoders, before retrieval is a pipeline stage.

For the base encoder (`pretrained/`, the `none` condition's) and each intermediate condition's
encoder (`models/intermediate/<condition>/seed0/encoder`, after `make repro`), the XNLI-shaped
test premises of every sample language (parallel across languages, 300 each) retrieve their
English translations and the reverse (`xstilts.retrieval.parallel`), mean-pooled at the layer
XTREME's Tatoeba script pools (`middle_layer`; `--layer` to choose another). Chance is 1/300.
A second table: the xx -> en accuracy, averaged over the sample languages, with every
non-English premise perturbed at strength `--strength` (default 0.1) by each family of
`--families`, against the clean one. A third: the retrieval attack (`xstilts.retrieval.attack`)
on the first `--attack-rows` premises of each language (100) against all 300 English ones, a
fifth of the words, 60 queries and 2 candidates a word: typo families greedily, code-switching
with a beam of 2; xx -> en accuracy clean and under attack per language, and seconds.

Run: PYTHONPATH=src python3 bench/retrieval_sample.py [--layer N]   (CPU, ~1 min)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from xstilts.attack import AttackBudget
from xstilts.config import load_params
from xstilts.modeling.model import load_encoder, load_tokenizer
from xstilts.perturb import Resources, build_family
from xstilts.retrieval.attack import attack_parallel
from xstilts.retrieval.embeddings import middle_layer
from xstilts.retrieval.parallel import parallel_accuracy, perturbed_accuracy

REPO = Path(__file__).resolve().parents[1]


def premises(language: str) -> list[str]:
    path = REPO / "data" / "tasks" / "xnli" / language / "test.jsonl"
    return [json.loads(line)["premise"] for line in path.read_text(encoding="utf-8").splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layer", type=int, default=None)
    parser.add_argument("--families", default="char_swap,word_delete,codeswitch")
    parser.add_argument("--strength", type=float, default=0.1)
    parser.add_argument("--attack-rows", type=int, default=100)
    args = parser.parse_args()
    params = load_params(REPO / "params.yaml")
    languages = [lang for lang in params.sample_world.languages if lang != "en"]
    parallel = {lang: premises(lang) for lang in ["en", *languages]}
    encoders = {"none (base)": REPO / "pretrained"} | {
        name: REPO / "models" / "intermediate" / name / "seed0" / "encoder"
        for name in params.condition_names
        if name != "none" and (REPO / "models" / "intermediate" / name).is_dir()
    }
    tokenizer = load_tokenizer(REPO / "pretrained")
    cells = " | ".join(f"{lang}->en / en->{lang}" for lang in languages)
    print(f"| encoder | layer | {cells} | mean |\n|---|---|{'---|' * (len(languages) + 1)}")
    loaded = {}
    for name, path in encoders.items():
        encoder = loaded[name] = load_encoder(path).eval()
        layer = middle_layer(encoder.config.num_hidden_layers) if args.layer is None else args.layer
        scores = parallel_accuracy(encoder, tokenizer, parallel, layer=layer)
        pairs = [(scores[lang].to_english, scores[lang].from_english) for lang in languages]
        shown = " | ".join(f"{100 * a:.1f} / {100 * b:.1f}" for a, b in pairs)
        mean = 100 * sum(a + b for a, b in pairs) / (2 * len(pairs))
        print(f"| {name} | {layer} | {shown} | {mean:.1f} |")
    families = args.families.split(",")
    resources = Resources(lexicon_dir=REPO / "data" / "lexicon")
    header = " | ".join(f"{family}@{args.strength:g}" for family in families)
    print(f"\n| encoder | clean xx->en | {header} |\n|---|---|{'---|' * len(families)}")
    for name, encoder in loaded.items():
        layer = middle_layer(encoder.config.num_hidden_layers) if args.layer is None else args.layer
        cells, clean = [], None
        for family in families:
            perturbation = build_family(family, resources)
            scores = perturbed_accuracy(
                encoder, tokenizer, parallel, perturbation, args.strength, 0, layer=layer
            )
            clean = sum(s.clean for s in scores.values()) / len(scores)
            hit = [s.perturbed for s in scores.values() if s.perturbed is not None]
            cells.append(f"{100 * sum(hit) / len(hit):.1f}" if hit else "n/a")
        print(f"| {name} | {100 * clean:.1f} | {' | '.join(cells)} |")
    attacks(loaded, tokenizer, parallel, languages, resources, args)


ATTACKS = {  # name: (families, beam width)
    "typo": (("keyboard", "char_swap", "char_delete", "char_insert", "homoglyph"), 1),
    "codeswitch": (("codeswitch",), 2),
}


def attacks(loaded, tokenizer, parallel, languages, resources, args) -> None:
    """The attack table: per encoder and attack, clean -> attacked xx -> en accuracy."""
    cells = " | ".join(languages)
    print(f"\n| encoder | attack | {cells} | seconds |\n|---|---|{'---|' * (len(languages) + 1)}")
    for name, encoder in loaded.items():
        layer = middle_layer(encoder.config.num_hidden_layers) if args.layer is None else args.layer
        for attack, (names, beam) in ATTACKS.items():
            families = {n: build_family(n, resources) for n in names}
            budget = AttackBudget(0.2, 60, beam, 2)
            started = time.perf_counter()
            results = attack_parallel(
                encoder, tokenizer, parallel, families, budget, 0, layer=layer,
                max_rows=args.attack_rows,
            )  # fmt: skip
            seconds = time.perf_counter() - started
            shown = " | ".join(
                f"{100 * results[lang].clean_accuracy:.0f} -> "
                f"{100 * results[lang].attacked_accuracy:.0f}"
                for lang in languages
            )
            print(f"| {name} | {attack} | {shown} | {seconds:.0f} |")


if __name__ == "__main__":
    main()
