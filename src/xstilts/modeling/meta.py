"""A checkpoint's `meta.json` (heads, provenance, metrics), readable without torch: the report
and the demo's catalogue read it without loading a model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from xstilts.errors import XstiltsError, first_line

META_FILE = "meta.json"


def read_meta(path: str | Path) -> dict[str, Any]:
    """The `meta.json` of the checkpoint directory `path`."""
    require_dir(path)
    try:
        return json.loads((Path(path) / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise corrupt(path, err) from None


def encoder_source(intermediate: str | Path, base: str | Path) -> Path:
    """The intermediate checkpoint's encoder, or the base model when there was none (the
    `none` condition's meta.json names no encoder)."""
    encoder = read_meta(intermediate).get("encoder")
    return Path(base) if encoder is None else Path(intermediate) / encoder


def require_dir(path: str | Path) -> None:
    """Local checkpoints only: a missing directory must not be mistaken for a hub repo id."""
    if not Path(path).is_dir():
        raise XstiltsError(
            f"checkpoint directory {path} does not exist; run the stage that writes it "
            f"(`dvc repro`)"
        )


def corrupt(path: str | Path, err: Exception) -> XstiltsError:
    return XstiltsError(
        f"checkpoint {path} is missing or corrupt ({first_line(err)}); rerun the stage that "
        f"writes it (`dvc repro`)"
    )
