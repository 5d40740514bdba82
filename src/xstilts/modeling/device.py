"""Where models run: one choice for training, evaluation, the attack, the benchmarks and the demo.

`model_device()` is this process's CUDA GPU when there is one (`cuda:<LOCAL_RANK>` under a
launcher, the GPU accelerate gives the same process) and the CPU otherwise, so a GPU machine
never falls back to the CPU unnoticed and a CPU-only machine runs the same code path.
`$XSTILTS_DEVICE` overrides it (`cpu`, `cuda`, `cuda:1`); naming a device that is not there is an
error rather than a silent fallback. Checkpoints are placed by `to_model_device`, which
`load_checkpoint` calls, so every model loaded from disk lands on the chosen device.
"""

from __future__ import annotations

import os
from typing import TypeVar

import torch
from torch import nn

from xstilts.errors import XstiltsError

DEVICE_VARIABLE = "XSTILTS_DEVICE"
AUTO = "auto"

M = TypeVar("M", bound=nn.Module)


def model_device() -> torch.device:
    """The device every model of this process runs on (see the module docstring)."""
    choice = os.environ.get(DEVICE_VARIABLE, "").strip() or AUTO
    if choice == AUTO:
        return _cuda() if torch.cuda.is_available() else torch.device("cpu")
    device = _parse(choice)
    if device.type == "cuda":
        _require_cuda(choice)
        return device if device.index is not None else _cuda()
    return device


def to_model_device(model: M, device: torch.device | str | None = None) -> M:
    """`model` moved to `device` (default: `model_device()`), in place; returns it."""
    return model.to(model_device() if device is None else torch.device(device))


def _cuda() -> torch.device:
    """This process's GPU: the one accelerate and torchrun assign it (index LOCAL_RANK)."""
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))


def _parse(choice: str) -> torch.device:
    try:
        return torch.device(choice)
    except RuntimeError:
        raise XstiltsError(
            f"{DEVICE_VARIABLE}={choice!r} is not a device; use cpu, cuda or cuda:<index>, or "
            f"unset it to use the GPU when there is one"
        ) from None


def _require_cuda(choice: str) -> None:
    if not torch.cuda.is_available():
        raise XstiltsError(
            f"{DEVICE_VARIABLE}={choice} but torch sees no CUDA GPU (torch "
            f"{torch.__version__}); install a CUDA build of torch or set {DEVICE_VARIABLE}=cpu"
        )
