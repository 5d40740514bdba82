"""Numeric precision and attention kernel of the model: settings that change speed, not the
method. Shared by training, evaluation, the attack and the app (`xstilts.modeling.predict`).

On CPU with the defaults this is the plain fp32 path.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import torch

ATTN_IMPLEMENTATION = "sdpa"  # fused scaled-dot-product attention (flash / memory-efficient)


def resolve_precision(precision: str, device: torch.device) -> str:
    """'auto' becomes 'bf16' on a CUDA device that supports it and 'fp32' anywhere else."""
    if precision not in ("auto", "bf16", "fp32"):
        raise ValueError(f"precision must be auto, bf16 or fp32, not {precision!r}")
    if precision == "auto":
        cuda = device.type == "cuda" and torch.cuda.is_bf16_supported()
        return "bf16" if cuda else "fp32"
    return precision


def autocast(precision: str, device: torch.device) -> AbstractContextManager:
    """bf16 autocast (weights and optimizer stay fp32), or nothing."""
    if resolve_precision(precision, device) == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return nullcontext()
