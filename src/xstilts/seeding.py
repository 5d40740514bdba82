"""Seeds derived from strings, so every random stream is named and reproducible."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import torch


def derive_seed(*parts: object) -> int:
    """A stable 31-bit seed from any parts, e.g. derive_seed("stream", seed, "mnli", epoch)."""
    text = ":".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") & 0x7FFFFFFF


def seed_everything(seed: int) -> None:
    """Seed the global generators. Whether kernels must be deterministic depends on the device,
    so the training loop decides it once the device is known
    (`training.hardware.configure_determinism`)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
