"""The rehearsal's sizes: profiles/rehearsal.yaml, applied on top of profiles/full.yaml.

The overlay file is the one place where the rehearsal differs from a real full run: its
`conditions` names which of the full profile's conditions run (as the full profile defines
them), its `params` are merged key by key into the full profile, and the result is validated
like any profile; its `stand_in` sizes what the stand-in hub serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from xstilts.config import deep_update, parse_params
from xstilts.errors import XstiltsError
from xstilts.rehearsal.repos import StandInSizes

OVERLAY = Path("profiles/rehearsal.yaml")
FULL = Path("profiles/full.yaml")


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise XstiltsError(f"{path}: not found; run from the repository root")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise XstiltsError(f"{path}: expected a mapping at the top level")
    return raw


def rehearsal_params(repo: Path) -> dict[str, Any]:
    """The full profile with the overlay's sizes, validated (one error line if not valid)."""
    overlay = _read(repo / OVERLAY)
    unknown = set(overlay) - {"conditions", "params", "stand_in"}
    if unknown:
        raise XstiltsError(
            f"{OVERLAY}: unknown key(s) {sorted(unknown)}; allowed: conditions, params, stand_in"
        )
    raw = deep_update(_read(repo / FULL), overlay.get("params") or {})
    raw["conditions"] = _kept_conditions(raw["conditions"], overlay.get("conditions"))
    parse_params(raw, f"{FULL} + {OVERLAY}")
    return raw


def _kept_conditions(full: dict[str, Any], kept: list[str] | None) -> dict[str, Any]:
    """The full profile's conditions that the overlay keeps, unchanged."""
    if kept is None:
        return full
    unknown = [name for name in kept if name not in full]
    if unknown:
        raise XstiltsError(
            f"{OVERLAY}: conditions: {unknown} not in {FULL} (known: {', '.join(full)})"
        )
    return {name: full[name] for name in kept}


def stand_in_sizes(repo: Path) -> StandInSizes:
    """What the stand-in hub serves (the overlay's `stand_in`)."""
    sizes = _read(repo / OVERLAY).get("stand_in") or {}
    try:
        return StandInSizes(**sizes)
    except TypeError as err:
        raise XstiltsError(f"{OVERLAY}: stand_in: {err}") from None
