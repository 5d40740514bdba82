"""Perturbation families built once per tokenizer owner and shared by the demo's requests."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from xstilts.perturb import Perturbation, Resources, build_families, families


class FamilyCache:
    """Every family, built once per key (a checkpoint, an encoder) with that key's tokenizer
    (homoglyph and invisible drop what it erases), or with the static check for no tokenizer.
    Building and using the families calls the tokenizer: the caller holds its owner's lock."""

    def __init__(self, lexicon_dir: Path | None) -> None:
        self.lexicon_dir = Path(lexicon_dir) if lexicon_dir and Path(lexicon_dir).is_dir() else None
        self._built: dict[str, dict[str, Perturbation]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, tokenizer: Any) -> dict[str, Perturbation]:
        with self._lock:
            built = self._built.get(key)
        if built is None:
            resources = Resources(lexicon_dir=self.lexicon_dir, tokenizer=tokenizer)
            built = build_families(families(), resources)
            with self._lock:
                built = self._built.setdefault(key, built)
        return built
