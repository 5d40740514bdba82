"""Per-example random generators that do not depend on the process or on call order."""

from __future__ import annotations

import hashlib
import random


def rng_for(seed: int, *parts: str) -> random.Random:
    """A generator seeded by the string "seed|part|part...", e.g. (seed, example id, family).

    The string is hashed with SHA-256 (Python's `hash()` is salted per process), so the same
    example gets the same perturbation in every run, worker and order of evaluation.
    """
    key = "|".join([str(seed), *parts]).encode("utf-8")
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))
