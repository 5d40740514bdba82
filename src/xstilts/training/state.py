"""Resumable training state without pickle.

accelerate's `save_state` pickles optimizer and RNG states and unpickles them on load; this
project never loads pickles from disk, so the state is split into `tensors.safetensors` (model,
optimizer moments, best weights, torch RNG) and `state.json` (optimizer hyperparameters,
scheduler, sampler, batch streams, counters, python RNG), written atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from xstilts.io import atomic_dir

TENSORS, STATE = "tensors.safetensors", "state.json"


def optimizer_to_flat(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict]:
    """An optimizer state dict as named tensors plus its JSON-able param groups."""
    tensors = {
        f"optim.{index}.{key}": value.detach().clone().contiguous()
        for index, entries in state["state"].items()
        for key, value in entries.items()
    }
    return tensors, {"param_groups": state["param_groups"]}


def optimizer_from_flat(tensors: dict[str, torch.Tensor], meta: dict) -> dict[str, Any]:
    """The optimizer state dict that `optimizer_to_flat` split."""
    per_param: dict[int, dict[str, torch.Tensor]] = {}
    for name, value in tensors.items():
        if name.startswith("optim."):
            _, index, key = name.split(".", 2)
            per_param.setdefault(int(index), {})[key] = value
    groups = [
        {**g, "betas": tuple(g["betas"])} if "betas" in g else g for g in meta["param_groups"]
    ]
    return {"state": per_param, "param_groups": groups}


@dataclass
class SavedState:
    """What `load_state` reads back: full (unsharded) tensors and the JSON metadata."""

    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    best: dict[str, torch.Tensor] | None
    meta: dict[str, Any]


def save_state(
    path: str | Path,
    model: dict[str, torch.Tensor],
    optimizer: dict[str, Any],
    best_weights: dict[str, torch.Tensor] | None,
    meta: dict[str, Any],
) -> None:
    """Write a model state dict, an optimizer state dict, the best weights so far, the torch
    RNG state and `meta`, atomically."""
    tensors = {f"model.{k}": v.detach().clone().contiguous() for k, v in model.items()}
    optim_tensors, optim_meta = optimizer_to_flat(optimizer)
    tensors.update(optim_tensors)
    if best_weights is not None:
        tensors.update({f"best.{k}": v.contiguous() for k, v in best_weights.items()})
    tensors["rng.torch"] = torch.get_rng_state()
    with atomic_dir(path) as tmp:
        save_file(tensors, str(tmp / TENSORS))
        payload = {**meta, "optimizer": optim_meta}
        (tmp / STATE).write_text(json.dumps(payload), encoding="utf-8")


def load_state(path: str | Path) -> SavedState:
    """Read what `save_state` wrote and restore the torch RNG."""
    path = Path(path)
    tensors = load_file(str(path / TENSORS))
    meta = json.loads((path / STATE).read_text(encoding="utf-8"))
    torch.set_rng_state(tensors["rng.torch"])
    return SavedState(
        model={k[6:]: v for k, v in tensors.items() if k.startswith("model.")},
        optimizer=optimizer_from_flat(tensors, meta["optimizer"]),
        best={k[5:]: v for k, v in tensors.items() if k.startswith("best.")} or None,
        meta=meta,
    )


def has_state(path: str | Path) -> bool:
    path = Path(path)
    return (path / TENSORS).exists() and (path / STATE).exists()
