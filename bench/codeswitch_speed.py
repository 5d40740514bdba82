"""Code-switching speed and the attack's whole-entry reach on the sample lexicons.

Speed: wall time (best of 5, a fresh `Resources` each time, so lexicons are read from disk) of
`codeswitch` at strength 0.1 (the study's) and 0.5 on 20,000-character texts built from each
lexicon's entries, and on a Thai sentence (no lexicon: nothing applies), next to what word
segmentation and the cluster guard of `Perturbation.apply` alone cost on the same text. Reach:
for each language with a lexicon, how many of its entries the family switches whole when the
text is the entry alone, and how many the code-switching attack does (a model that predicts
class 1 while the entry is in the text; reached when the attack's one edit replaces exactly the
entry). Scale: compiling a MUSE-sized key set (synthetic Chinese keys of one to four
characters; MUSE's en-zh file has about 39,000 pairs) and one match pass over 20,000 characters
built from its keys.

Run: OMP_NUM_THREADS=1 PYTHONPATH=src python3 bench/codeswitch_speed.py
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np

from xstilts.attack import AttackBudget, Attacker
from xstilts.examples import Example, PairExample
from xstilts.perturb import Resources, build_family
from xstilts.perturb.base import ClusterGuard
from xstilts.perturb.key_pattern import key_pattern
from xstilts.perturb.lexicon import lexicon_languages, load_lexicon
from xstilts.perturb.segment import words as segment_words

LEXICONS = Path(__file__).resolve().parents[1] / "data" / "lexicon"
THAI = "ฉันชอบอ่านหนังสือที่ห้องสมุดทุกวันเสาร์"


def entries(language: str) -> list[str]:
    lexicon = load_lexicon(LEXICONS, language)
    return sorted({w for ws in lexicon.from_english.values() for w in ws})


def best_ms(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def long_text(language: str, joiner: str) -> str:
    words = entries(language)
    return joiner.join(words[i % len(words)] for i in range(10_000))[:20_000]


def switch(text: str, language: str, strength: float) -> None:
    family = build_family("codeswitch", Resources(LEXICONS))
    family.apply(text, language, strength, random.Random(0))


def shared(text: str, language: str) -> None:
    """What every word-level family pays before proposing: ICU words and the cluster guard."""
    segment_words(text, language)
    ClusterGuard(text)


def speed() -> None:
    print(
        "| codeswitch input | apply at 0.1, ms | apply at 0.5, ms | words + cluster guard, ms |\n"
        "|---|---|---|---|"
    )
    inputs = [(g, long_text(g, j)) for g, j in (("ru", " "), ("vi", " "), ("zh", "，"))]
    for language, text in [*inputs, ("th", THAI)]:
        light = best_ms(lambda t=text, g=language: switch(t, g, 0.1))
        heavy = best_ms(lambda t=text, g=language: switch(t, g, 0.5))
        floor = best_ms(lambda t=text, g=language: shared(t, g))
        label = f"{language}, {len(text)} characters"
        print(f"| {label} | {light:.1f} | {heavy:.1f} | {floor:.1f} |")


class EntryModel:
    """Class 1 while `entry` occurs in the first field."""

    def __init__(self, entry: str) -> None:
        self.entry = entry

    def __call__(self, examples: list[Example]) -> np.ndarray:
        hits = [self.entry in e.text_a for e in examples]
        return np.array([[0.1, 0.9] if hit else [0.8, 0.2] for hit in hits])


def family_reaches(family, entry: str, language: str) -> bool:
    units = family.units(entry, language)
    proposal = family.propose(entry, language, units, 0, random.Random(0)) if units else None
    return proposal is not None and (proposal.edit.start, proposal.edit.end) == (0, len(entry))


def attack_reaches(families: dict, entry: str, language: str) -> bool:
    model = EntryModel(entry)
    attacker = Attacker(None, None, "x", families, predict_fn=model)
    example = PairExample("0", language, entry, "x", 1)
    budget = AttackBudget(max_unit_fraction=1.0, beam_width=3)
    result = attacker.attack(example, language, budget, random.Random(0))
    edits = result.edits.get("text_a", ())
    return result.flipped and [(e.start, e.end) for e in edits] == [(0, len(entry))]


def reach() -> None:
    family = build_family("codeswitch", Resources(LEXICONS))
    print("\n| language | entries | family reach | attack reach |\n|---|---|---|---|")
    for language in lexicon_languages(LEXICONS):
        found = entries(language)
        by_family = sum(family_reaches(family, e, language) for e in found)
        by_attack = sum(attack_reaches({"codeswitch": family}, e, language) for e in found)
        print(f"| {language} | {len(found)} | {by_family} | {by_attack} |")


def scale() -> None:
    print("\n| key set | keys | compile, s | pass over 20,000 characters, ms |\n|---|---|---|---|")
    rng = random.Random(0)
    for first_chars, size in ((3_000, 20_000), (6_000, 40_000), (20_000, 100_000)):
        keys = {
            "".join(chr(0x4E00 + rng.randrange(first_chars)) for _ in range(rng.randint(1, 4)))
            for _ in range(size)
        }
        start = time.perf_counter()
        pattern = key_pattern(keys)
        compiled = time.perf_counter() - start
        ordered = sorted(keys)
        text = "".join(rng.choice(ordered) for _ in range(10_000))[:20_000]
        search = best_ms(lambda p=pattern, t=text: sum(1 for _ in p.finditer(t)))
        label = f"Han, {first_chars} first characters"
        print(f"| {label} | {len(keys)} | {compiled:.2f} | {search:.1f} |")


if __name__ == "__main__":
    speed()
    reach()
    scale()
