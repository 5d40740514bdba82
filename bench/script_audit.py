"""Does every perturbation family do what its name says in every script? A count over real text.

Each family runs over the repository's multilingual strings (`tests/fixtures/scripts.tsv`: UDHR
sentences and edge cases in 35 scripts, beside the sample corpus's first lines in its six
languages) at strengths 0.1, 0.5 and 1.0 with ten seeds each, and every output is checked
against what the family must not do, judged without the code under test where possible:

- non-look-alike homoglyph: an edit whose replacement is not a look-alike of the letter in its
  place: a digit for a letter or the reverse, a same-script letter outside the cursive table, a
  letter of another script in a cursive word (`fits_in_place`), or a cursive pair used in a
  position of the word where the two are drawn differently (`look_alikes_at`);
- broken or merged cluster: for a family that keeps clusters, the output's clusters (plain
  Unicode `\\X`, not the tailored ones the families use) differ from the unchanged text's
  clusters and the replacements' own, side by side;
- stranded mark: a mark with no base, a vowel written before a consonant with none after it, a
  shin dot off shin, broken jamo, that the input did not have (`tests/perturb_support`).

Run: OMP_NUM_THREADS=1 PYTHONPATH=src:. python3 bench/script_audit.py
(codeswitch speed and the attack's reach: bench/codeswitch_speed.py)
"""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import regex

from tests.perturb_support import new_misplaced_marks, real_world_strings
from xstilts.perturb import Resources, build_family, families
from xstilts.perturb.builtin.homoglyph import fits_in_place, joined_position, look_alikes_at

REPO = Path(__file__).resolve().parents[1]
STRENGTHS = (0.1, 0.5, 1.0)
SEEDS = range(10)
_PLAIN_CLUSTER = regex.compile(r"\X")


def texts() -> list[tuple[str, str, str]]:
    """(language, script, text): the fixture's rows and the sample corpus's first lines."""
    rows = real_world_strings()
    for language, script in (("en", "Latin"), ("vi", "Latin"), ("ru", "Cyrillic"),
                             ("ar", "Arabic"), ("hi", "Devanagari"), ("zh", "Han")):  # fmt: skip
        corpus = (REPO / "data" / "corpus" / f"{language}.txt").read_text(encoding="utf-8")
        rows += [(language, script, line) for line in corpus.splitlines()[:5]]
    return rows


def plain_clusters(text: str) -> list[str]:
    return _PLAIN_CLUSTER.findall(text)


def breaks_clusters(original: str, perturbed: str, edits) -> bool:
    """Whether the output's clusters differ from those of its pieces written side by side (the
    original's untouched stretches and each replacement), by the default Unicode rules."""
    pieces, cursor = [], 0
    for edit in edits:
        pieces += [original[cursor : edit.start], edit.replacement]
        cursor = edit.end
    pieces.append(original[cursor:])
    return plain_clusters(perturbed) != [g for p in pieces if p for g in plain_clusters(p)]


def bad_homoglyph(original: str, edit) -> bool:
    char = original[edit.start : edit.end]
    if len(char) != 1:
        return True
    position = joined_position(original, edit.start)
    return not fits_in_place(char, edit.replacement) or edit.replacement not in look_alikes_at(
        char, position
    )


def audit() -> None:
    rows = texts()
    resources = Resources(lexicon_dir=REPO / "data" / "lexicon")
    scripts = sorted({script for _, script, _ in rows})
    print(f"{len(rows)} texts in {len(scripts)} script groups: {', '.join(scripts)}\n")
    print("| family | outputs | edits | non-look-alike homoglyphs | broken or merged clusters "
          "| stranded marks | seconds |\n|---|---|---|---|---|---|---|")  # fmt: skip
    totals: Counter[str] = Counter()
    for name in families():
        family = build_family(name, resources)
        found: Counter[str] = Counter()
        start = time.perf_counter()
        for language, _, text in rows:
            for strength in STRENGTHS:
                for seed in SEEDS:
                    result = family.apply(text, language, strength, random.Random(seed))
                    found["outputs"] += 1
                    found["edits"] += len(result.edits)
                    if name == "homoglyph":
                        found["homoglyph"] += sum(bad_homoglyph(text, e) for e in result.edits)
                    if not family.breaks_clusters:
                        found["clusters"] += breaks_clusters(text, result.text, result.edits)
                    found["marks"] += len(new_misplaced_marks(text, result.text))
        seconds = time.perf_counter() - start
        totals.update(found)
        print(f"| {name} | {found['outputs']} | {found['edits']} | {found['homoglyph']} | "
              f"{found['clusters']} | {found['marks']} | {seconds:.1f} |")  # fmt: skip
    print(f"| all | {totals['outputs']} | {totals['edits']} | {totals['homoglyph']} | "
          f"{totals['clusters']} | {totals['marks']} | |")  # fmt: skip


if __name__ == "__main__":
    audit()
