"""Retrieval with the sample run's encoders, outside the pipeline: the `retrieve` stage's measures
with options it does not take (another layer, more attacked rows).

For the base encoder (`pretrained/`, the `none` condition's) and each intermediate condition's
encoder (`models/intermediate/<condition>/seed0/encoder`, after `make repro`), on the sample
world's retrieval sets (`data/retrieval/`, sentences of no pretraining corpus):
1. Tatoeba-shaped: each language's 300 sentences retrieve their English translations and the
   reverse (`xstilts.retrieval.parallel`), mean-pooled at the layer XTREME's Tatoeba script pools
   (`middle_layer`; `--layer` to choose another). Chance is 1/300.
2. The xx -> en accuracy, averaged over the sample languages, with every non-English sentence
   perturbed at strength `--strength` (default 0.1) by each family of `--families`.
3. The retrieval attack (`xstilts.retrieval.attack`) on each language's first `--attack-rows`
   sentences (100) against all 300 English ones, a fifth of the words, 60 queries and 2
   candidates a word: typo families greedily, code-switching with a beam of 2; xx -> en accuracy
   clean and under attack per language, and seconds.
4. BUCC-shaped mining (`xstilts.retrieval.bucc`): per language, the test split's F1 at the
   threshold best on the dev split (first-token vectors of layer 8, or the last of a smaller
   encoder, as XTREME's BUCC script), with precision and recall.

Run: PYTHONPATH=src python3 bench/retrieval_sample.py [--layer N]   (CPU, ~2 min)
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
from xstilts.retrieval.bucc import bucc_score
from xstilts.retrieval.embeddings import middle_layer
from xstilts.retrieval.parallel import parallel_accuracy, perturbed_accuracy
from xstilts.retrieval.sources import read_bucc_split, tatoeba_pairs

REPO = Path(__file__).resolve().parents[1]


def tatoeba_sets(languages: list[str]) -> dict[str, dict[str, list[str]]]:
    path = REPO / "data" / "retrieval" / "tatoeba" / "test.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return tatoeba_pairs(rows, languages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layer", type=int, default=None)
    parser.add_argument("--families", default="char_swap,word_delete,codeswitch")
    parser.add_argument("--strength", type=float, default=0.1)
    parser.add_argument("--attack-rows", type=int, default=100)
    args = parser.parse_args()
    params = load_params(REPO / "params.yaml")
    languages = [lang for lang in params.sample_world.languages if lang != "en"]
    sets = tatoeba_sets(languages)
    encoders = {"none (base)": REPO / "pretrained"} | {
        name: REPO / "models" / "intermediate" / name / "seed0" / "encoder"
        for name in params.condition_names
        if name != "none" and (REPO / "models" / "intermediate" / name).is_dir()
    }
    tokenizer = load_tokenizer(REPO / "pretrained")
    loaded = {name: load_encoder(path).eval() for name, path in encoders.items()}
    layers = {
        name: middle_layer(encoder.config.num_hidden_layers) if args.layer is None else args.layer
        for name, encoder in loaded.items()
    }
    cells = " | ".join(f"{lang}->en / en->{lang}" for lang in languages)
    print(f"| encoder | layer | {cells} | mean |\n|---|---|{'---|' * (len(languages) + 1)}")
    for name, encoder in loaded.items():
        pairs = []
        for lang in languages:
            score = parallel_accuracy(encoder, tokenizer, sets[lang], layer=layers[name])[lang]
            pairs.append((score.to_english, score.from_english))
        shown = " | ".join(f"{100 * a:.1f} / {100 * b:.1f}" for a, b in pairs)
        mean = 100 * sum(a + b for a, b in pairs) / (2 * len(pairs))
        print(f"| {name} | {layers[name]} | {shown} | {mean:.1f} |")
    resources = Resources(lexicon_dir=REPO / "data" / "lexicon")
    perturbed(loaded, layers, tokenizer, sets, resources, args)
    attacks(loaded, layers, tokenizer, sets, resources, args)
    mining(loaded, tokenizer, languages)


def perturbed(loaded, layers, tokenizer, sets, resources, args) -> None:
    """The perturbation table: mean xx -> en accuracy, clean and under each family."""
    families = args.families.split(",")
    header = " | ".join(f"{family}@{args.strength:g}" for family in families)
    print(f"\n| encoder | clean xx->en | {header} |\n|---|---|{'---|' * len(families)}")
    for name, encoder in loaded.items():
        cells, clean = [], []
        for family in families:
            perturbation = build_family(family, resources)
            scores = [
                perturbed_accuracy(
                    encoder, tokenizer, pairs, perturbation, args.strength, 0, layer=layers[name]
                )[lang]
                for lang, pairs in sets.items()
            ]
            clean = [s.clean for s in scores]
            hit = [s.perturbed for s in scores if s.perturbed is not None]
            cells.append(f"{100 * sum(hit) / len(hit):.1f}" if hit else "n/a")
        print(f"| {name} | {100 * sum(clean) / len(clean):.1f} | {' | '.join(cells)} |")


ATTACKS = {  # name: (families, beam width)
    "typo": (("keyboard", "char_swap", "char_delete", "char_insert", "homoglyph"), 1),
    "codeswitch": (("codeswitch",), 2),
}


def attacks(loaded, layers, tokenizer, sets, resources, args) -> None:
    """The attack table: per encoder and attack, clean -> attacked xx -> en accuracy."""
    cells = " | ".join(sets)
    print(f"\n| encoder | attack | {cells} | seconds |\n|---|---|{'---|' * (len(sets) + 1)}")
    for name, encoder in loaded.items():
        for attack, (names, beam) in ATTACKS.items():
            families = {n: build_family(n, resources) for n in names}
            budget = AttackBudget(0.2, 60, beam, 2)
            started = time.perf_counter()
            results = {
                lang: attack_parallel(
                    encoder, tokenizer, pairs, families, budget, 0, layer=layers[name],
                    max_rows=args.attack_rows,
                )[lang]
                for lang, pairs in sets.items()
            }  # fmt: skip
            seconds = time.perf_counter() - started
            shown = " | ".join(
                f"{100 * result.clean_accuracy:.0f} -> {100 * result.attacked_accuracy:.0f}"
                for result in results.values()
            )
            print(f"| {name} | {attack} | {shown} | {seconds:.0f} |")


def mining(loaded, tokenizer, languages) -> None:
    """The BUCC-shaped table: test F1 (precision / recall) at the dev-chosen threshold."""
    root = REPO / "data" / "retrieval"
    splits = {lang: (read_bucc_split(root, lang, "dev"), read_bucc_split(root, lang, "test"))
              for lang in languages}  # fmt: skip
    cells = " | ".join(f"{lang}-en F1 (P / R)" for lang in languages)
    print(f"\n| encoder | {cells} | mean F1 |\n|---|{'---|' * (len(languages) + 1)}")
    for name, encoder in loaded.items():
        scores = [bucc_score(encoder, tokenizer, *splits[lang]).test for lang in languages]
        shown = " | ".join(
            f"{100 * s.f1:.1f} ({100 * s.precision:.0f} / {100 * s.recall:.0f})" for s in scores
        )
        print(f"| {name} | {shown} | {100 * sum(s.f1 for s in scores) / len(scores):.1f} |")


if __name__ == "__main__":
    main()
