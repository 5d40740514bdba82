"""Which process this is, when a stage runs under `accelerate launch` or `torchrun`.

Every process trains; only the main one publishes outputs. Read from the launcher's
environment, so it works before, during and after an `Accelerator` exists.
"""

from __future__ import annotations

import os
import sys


def process_rank() -> int:
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    return process_rank() == 0


def wait_for_everyone() -> None:
    """A barrier across processes; nothing when there is only one. A process that never imported
    torch has no process group, so stages without a model (prepare, the report) do not pay
    torch's import for it."""
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        dist.barrier()
