"""Keyboard layouts shipped in `data/keyboards/<language>.json`, and which keys neighbour which.

A layout has a script, a name and one or more layers (unshifted, shifted), each a list of rows of
space-separated keys; a key may be a combining mark where the layout types marks separately
(InScript, Arabic, Thai). Rows are taken to be staggered by half a key: a key's neighbours are
the keys beside it, the two above it (same and next column) and the two below it (previous and
same column), on the same layer. Neighbours that are not letters or marks (digits, punctuation)
are never offered, so a typo never puts ASCII symbols into another script.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from dataclasses import dataclass
from importlib.resources import files

_DIR = files("xstilts.perturb").joinpath("data/keyboards")


@dataclass(frozen=True)
class Layout:
    language: str
    script: str
    name: str
    neighbours: dict[str, tuple[str, ...]]


def layout_languages() -> tuple[str, ...]:
    return tuple(
        sorted(p.name.removesuffix(".json") for p in _DIR.iterdir() if p.name.endswith(".json"))
    )


@functools.cache
def layout(language: str) -> Layout | None:
    path = _DIR.joinpath(f"{language}.json")
    if not path.is_file():
        return None
    raw = json.loads(path.read_text("utf-8"))
    neighbours: dict[str, dict[str, None]] = {}
    for layer in raw["layers"]:
        grid = [row.split(" ") for row in layer]
        for r, row in enumerate(grid):
            for c, key in enumerate(row):
                near = neighbours.setdefault(key, {})
                for other in _near(grid, r, c):
                    if other != key and _typeable(other):
                        near[other] = None
    return Layout(
        language, raw["script"], raw["name"], {k: tuple(v) for k, v in neighbours.items()}
    )


def _near(grid: list[list[str]], r: int, c: int) -> list[str]:
    cells = [(r, c - 1), (r, c + 1), (r - 1, c), (r - 1, c + 1), (r + 1, c - 1), (r + 1, c)]
    return [grid[i][j] for i, j in cells if 0 <= i < len(grid) and 0 <= j < len(grid[i])]


def _typeable(key: str) -> bool:
    return len(key) == 1 and unicodedata.category(key)[0] in "LM"
