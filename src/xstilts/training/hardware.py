"""Training's hardware settings that change speed, not the method: determinism, fused
optimizer, gradient checkpointing, compile. Precision (bf16 autocast) and the attention kernel
are the model's (`xstilts.modeling.precision`), shared with evaluation.

Each one is a no-op on CPU with the defaults, so the CPU sample path is the plain fp32 loop.
"""

from __future__ import annotations

import os
import shutil

import torch

from xstilts.errors import XstiltsError

__all__ = [
    "adamw",
    "configure_determinism",
    "enable_gradient_checkpointing",
    "find_compiler",
    "maybe_compile",
    "require_compiler",
]


def configure_determinism(device: torch.device, deterministic_cuda: bool) -> None:
    """Deterministic kernels on CPU (cheap there, and what makes a resumed run bit for bit the
    uninterrupted one); on CUDA only when asked. On a GPU, torch's deterministic mode swaps in
    slower deterministic kernels, fills every new tensor with NaN and, unless
    CUBLAS_WORKSPACE_CONFIG is set, warns on every cuBLAS call (set here when asked)."""
    if device.type == "cuda" and not deterministic_cuda:
        torch.use_deterministic_algorithms(False)
        return
    if device.type == "cuda":  # cuBLAS reads this when it creates its handle
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)


def adamw(groups: list[dict], lr: float, eps: float, device: torch.device) -> torch.optim.Optimizer:
    """AdamW; the fused CUDA kernel on GPUs (one launch for all parameters)."""
    fused = device.type == "cuda"
    return torch.optim.AdamW(groups, lr=lr, eps=eps, fused=fused or None)


def enable_gradient_checkpointing(model: torch.nn.Module) -> None:
    """Recompute each encoder layer's activations in backward (non-reentrant: DDP-safe)."""
    encoders = [m for m in model.modules() if hasattr(m, "gradient_checkpointing_enable")]
    if not encoders:
        raise ValueError("gradient_checkpointing: the model has no Hugging Face encoder")
    kwargs = {"use_reentrant": False}
    encoders[0].gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)


def maybe_compile(model: torch.nn.Module, enabled: bool, device: torch.device) -> None:
    """Compile in place (state-dict keys unchanged); dynamic shapes for dynamic padding."""
    if enabled:
        require_compiler(device)
        model.compile(dynamic=True)


def require_compiler(device: torch.device) -> None:
    """torch.compile builds the kernels it generates on the spot: Triton (GPUs) with a C
    compiler, inductor's CPU backend with a C++ one. Without one, the first training step would
    fail deep inside the compiler; say so before any compute is spent."""
    if find_compiler(device):
        return
    cpu = device.type == "cpu"
    variable, names = _compilers(device)
    raise XstiltsError(
        f"execution.compile: torch.compile needs a {'C++' if cpu else 'C'} compiler on PATH "
        f"({', '.join(names)}, or ${variable}) to build its kernels; install one (Debian: "
        f"apt-get install {'g++' if cpu else 'gcc'}) or set compile: false"
    )


def find_compiler(device: torch.device) -> str | None:
    """The compiler torch.compile would use on `device` (its variable, or one on PATH)."""
    variable, names = _compilers(device)
    return os.environ.get(variable) or next(filter(None, map(shutil.which, names)), None)


def _compilers(device: torch.device) -> tuple[str, tuple[str, ...]]:
    """(environment variable, commands) of the compiler torch.compile needs on `device`."""
    if device.type == "cpu":
        return "CXX", ("g++", "c++", "clang++")
    return "CC", ("cc", "gcc", "clang")
