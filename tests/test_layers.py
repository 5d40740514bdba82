"""The package's layers: a module imports only from lower layers (or from its own package).

Each layer lists top-level modules and packages of `src/xstilts`; the ones that share a layer
are independent siblings and import none of each other. Imports are read statically (ast),
including those inside functions and `if TYPE_CHECKING:` blocks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .source_imports import SRC, imported_names, module_name

PACKAGE = SRC / "xstilts"

LAYERS: tuple[tuple[str, ...], ...] = (
    # foundations: no dependencies inside the package
    (
        "errors",
        "examples",
        "ranks",
        "paths",
        "seeding",
        "logs",
        "params_trace",
        "forkserver",
        "dvc_lockfile",
        "tag_metrics",
        "tagsets",
    ),
    ("io", "qa_metrics"),  # atomic files, JSON(L), rank-aware; QA answer scores
    # domain libraries, independent of each other: task specs, perturbation families, the
    # offline sample-world generator
    ("tasks", "perturb", "sample"),
    ("config",),  # the validated params tree (embeds the sample world's and families' names)
    # hub and sample-world sources, prepared splits; RS-DA's training copies and neighbours
    ("data", "robust"),
    ("modeling",),  # tokenizer, encoder + heads, encoding, precision, the prediction path
    ("training",),  # the loop, objectives, the multi-task sampler, resume state
    ("pretraining",),  # the sample encoder: MLM pretraining, probes, the tracked artifact
    ("attack",),  # the black-box attack on a model
    # a checkpoint's clean, perturbed and attacked accuracy; retrieval from an encoder's vectors
    ("evaluate", "retrieval"),
    ("stats",),  # paired tests and comparison tables
    ("report",),  # the report document
    ("stages", "plan"),  # one module per DVC stage; the run plan
    # the demo's logic; `dvc repro` side by side
    ("demo", "lanes"),
    ("grid",),  # the stages as Slurm jobs (one thread rule of lanes)
    ("rehearsal",),  # the full graph against a stand-in hub, by `dvc repro` or the grid
    ("cli",),  # the command line
)
RANK = {unit: rank for rank, layer in enumerate(LAYERS) for unit in layer}


def imported_modules(source: str, module: str, is_package: bool) -> set[str]:
    """Every `xstilts...` module named by an import anywhere in the source (absolute or
    relative), `if TYPE_CHECKING:` blocks included; `from xstilts.pkg import name` yields
    `xstilts.pkg.name` too, in case it is a submodule."""
    found = imported_names([ast.parse(source)], module, is_package)
    return {name for name in found if name == "xstilts" or name.startswith("xstilts.")}


def unit_of(module: str) -> str | None:
    """The layered unit (top-level module or package) of `xstilts.<unit>...`; None for the
    package root and for names that are not modules (`from xstilts.pkg import function`)."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    unit = parts[1]
    if (PACKAGE / f"{unit}.py").is_file() or (PACKAGE / unit / "__init__.py").is_file():
        return unit
    return None


def violations_of(source: str, module: str, is_package: bool = False) -> list[str]:
    """One line for each unit of a higher layer, or a sibling, that the module imports."""
    unit = unit_of(module)
    found: dict[str, str] = {}
    for target in sorted(imported_modules(source, module, is_package)):
        other = unit_of(target)
        if unit is None or other is None or other == unit or other in found:
            continue
        if RANK[other] >= RANK[unit]:
            how = "a sibling" if RANK[other] == RANK[unit] else "a higher layer"
            found[other] = f"{module} imports {target} ({how}: {unit} -> {other})"
    return list(found.values())


def source_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_and_package_has_a_layer() -> None:
    units = {p.stem for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    units |= {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert units - set(RANK) == set(), "place these in LAYERS"
    assert set(RANK) - units == set(), "LAYERS names modules that do not exist"
    assert sum(map(len, LAYERS)) == len(RANK), "a unit is in two layers"


def test_no_module_imports_a_higher_layer_or_a_sibling() -> None:
    found = []
    for path in source_files():
        module = module_name(path)
        found += violations_of(path.read_text(encoding="utf-8"), module, path.stem == "__init__")
    assert found == []


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        ("def f():\n    from xstilts.stages import base\n", "xstilts.tasks.spec", 1),
        ("from ..training.loop import Trainer\n", "xstilts.modeling.model", 1),
        ("import xstilts.sample.world\n", "xstilts.perturb.base", 1),  # sibling
        ("from xstilts import config\n", "xstilts.sample.world", 1),
        ("from xstilts.errors import XstiltsError\n", "xstilts.cli", 0),
        ("from .grammar import Frame\n", "xstilts.sample.tasks", 0),
        ("from xstilts import __version__\n", "xstilts.tasks", 0),
    ],
)
def test_the_check_sees_every_kind_of_import(source: str, module: str, expected: int) -> None:
    assert len(violations_of(source, module)) == expected
