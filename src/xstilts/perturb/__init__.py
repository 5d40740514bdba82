"""Perturbation families for multilingual robustness evaluation.

Each module in `xstilts.perturb.builtin` defines one family, a `Perturbation` subclass decorated
with `@register`; importing this package imports them all, so adding a family is adding one file
(and its test). Families are built with the shared `Resources` (lexicons, tokenizer).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

from xstilts.perturb.base import Edit, Perturbation, Perturbed, Proposal, apply_edits
from xstilts.perturb.effective import EffectiveReport, effective_mask, is_effective
from xstilts.perturb.errors import PerturbationError, UnknownFamilyError
from xstilts.perturb.resources import Resources
from xstilts.perturb.rng import rng_for

__all__ = [
    "Edit", "EffectiveReport", "Perturbation", "PerturbationError", "Perturbed", "Proposal",
    "Resources", "apply_edits", "build_families", "build_family", "effective_mask", "families",
    "is_effective", "register", "rng_for",
]  # fmt: skip

_REGISTRY: dict[str, type[Perturbation]] = {}


def register(cls: type[Perturbation]) -> type[Perturbation]:
    """Class decorator: make a family available under its `name`."""
    if cls.name in _REGISTRY:
        raise ValueError(f"perturbation family '{cls.name}' is registered twice")
    if cls.unit not in ("grapheme", "word"):
        raise ValueError(f"family '{cls.name}' has unit '{cls.unit}', not grapheme or word")
    _REGISTRY[cls.name] = cls
    return cls


def families() -> list[str]:
    """The registered family names, sorted."""
    return sorted(_REGISTRY)


def build_family(name: str, resources: Resources) -> Perturbation:
    if name not in _REGISTRY:
        raise UnknownFamilyError(
            f"unknown perturbation family '{name}'; known: {', '.join(families())}"
        )
    return _REGISTRY[name](resources)


def build_families(names: Iterable[str], resources: Resources) -> dict[str, Perturbation]:
    """Families by name; every name is checked before any family is built."""
    names = list(names)
    unknown = [n for n in names if n not in _REGISTRY]
    if unknown:
        raise UnknownFamilyError(
            f"unknown perturbation famil{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(repr(n) for n in unknown)}; known: {', '.join(families())}"
        )
    return {name: build_family(name, resources) for name in names}


def _load_all() -> None:
    package = importlib.import_module(f"{__name__}.builtin")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")


_load_all()
