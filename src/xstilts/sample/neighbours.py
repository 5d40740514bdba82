"""The sample world's English synonyms, as word neighbours for robust training (RS-DA).

A concept with two English forms (car/automobile, see/watch) gives each form the other as its
neighbour, in every inflection the grammar writes (plural nouns, third-person verbs), in the
shape of Robust-XLT's `counterfitted_neighbors.json`: word -> the words that may replace it.
"""

from __future__ import annotations

from .vocabulary import CONCEPTS, plural


def english_neighbours() -> dict[str, list[str]]:
    """word -> its synonyms, for every word with one (sorted, so the file is stable)."""
    found: dict[str, set[str]] = {}
    for concept in CONCEPTS.values():
        if len(concept.forms) < 2:
            continue
        inflected = [concept.forms, tuple(plural(form) for form in concept.forms)]
        for forms in inflected:
            for form in forms:
                found.setdefault(form, set()).update(f for f in forms if f != form)
    return {word: sorted(others) for word, others in sorted(found.items())}
