"""Logging setup: INFO to stderr, plus a log file next to each stage's outputs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# A stage's log file is one of its outputs, hashed into dvc.lock with the model beside it: without
# wall-clock times, a rerun that computes the same numbers writes the same bytes, so on the same
# hardware a rerun's dvc.lock equals the committed one. The console keeps the times.
FILE_FORMAT = "%(levelname)s %(name)s: %(message)s"
FORMAT = f"%(asctime)s {FILE_FORMAT}"


def configure() -> None:
    logging.basicConfig(level=logging.INFO, format=FORMAT)
    for noisy in ("transformers", "datasets", "huggingface_hub", "accelerate", "httpx"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()


@contextmanager
def log_to(path: str | Path) -> Iterator[None]:
    """Copy every log record to `path` (without its time: see FILE_FORMAT) while the block runs."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()
