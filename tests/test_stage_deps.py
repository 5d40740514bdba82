"""dvc.yaml's dependency lists cannot drift from the code: every module a stage imports (its
import closure inside src/xstilts, read from the sources) and every file of package data those
modules read is listed in the stage's `deps`, directly or through a folder above it; every source
path listed is one the stage uses; and the stages' data paths are the ones `xstilts.paths` gives
the code. (The params a stage reads are checked against its `params` on a real run, in
tests/test_e2e.py.)"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from xstilts import paths
from xstilts.config import RSDA

from .conftest import REPO
from .source_imports import SRC, imported_names, module_name

PACKAGE = SRC / "xstilts"
CLI = PACKAGE / "cli.py"
# config.py's validators import the task and perturbation registries inside the sections'
# methods, only to check the names params.yaml uses (names that are params, tracked as such):
# those imports do not make every stage depend on every task and perturbation family. The
# config's module-level imports and its own code count like any module's.
CONFIG = PACKAGE / "config.py"
VALIDATED_REGISTRIES = ("xstilts.tasks", "xstilts.perturb")
# `files("xstilts.perturb").joinpath("data/keyboards")`: package data a module reads at run time
PACKAGE_DATA = re.compile(r"""files\(\s*["']([\w.]+)["']\s*\)\.joinpath\(\s*["']([^"']+)["']""")


def dvc_stages() -> dict[str, dict]:
    return yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


def module_file(name: str) -> Path | None:
    """The source file of module `name` inside src/xstilts, or None for other modules."""
    if name != "xstilts" and not name.startswith("xstilts."):
        return None
    base = SRC.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def direct_imports(path: Path) -> frozenset[Path]:
    """Source files `path` loads: what it imports, the packages above each (Python runs their
    __init__ first), every module of its own package when it imports them by name at run time
    (a registry walking its package with importlib), and package data it opens."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    name = module_name(path)
    names = imported_names([tree], name, path.name == "__init__.py", skip_type_checking=True)
    if path == CONFIG:
        statements = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        top_level = imported_names(statements, name, is_package=False)
        names = {n for n in names if n in top_level or not n.startswith(VALIDATED_REGISTRIES)}
    files = {f for f in map(module_file, names) if f is not None}
    # a registry imports its own package's modules by name (`import_module(f"{__name__}...`);
    # a module importing names from a fixed list (the fork server's preload) has them counted
    # where each stage's own code imports them
    if 'import_module(f"{__name__}' in source:
        files.update(p for p in path.parent.rglob("*.py") if "__pycache__" not in p.parts)
    for package, relative in PACKAGE_DATA.findall(source):
        data = SRC.joinpath(*package.split("."), relative)
        files.update([data] if data.is_file() else (p for p in data.rglob("*") if p.is_file()))
    return frozenset(files | parents(files))


def parents(files: set[Path]) -> set[Path]:
    """The __init__.py of every package above each file, up to xstilts itself."""
    found = set()
    for file in files:
        folder = file.parent
        while folder != SRC and (folder / "__init__.py").is_file():
            found.add(folder / "__init__.py")
            folder = folder.parent
    return found


def closure(start: set[Path]) -> set[Path]:
    """`start` and everything it loads; cli.py's own imports are `start` already (each stage
    runs one subcommand of it, see `cli_entry`)."""
    seen: set[Path] = set()
    todo = list(start | parents(start))
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        if path.suffix == ".py" and path != CLI:
            todo.extend(direct_imports(path) - seen)
    return seen


def cli_entry(subcommand: str) -> set[Path]:
    """What `python -m xstilts.cli <subcommand>` loads before the stage's own code: cli.py's
    module-level imports, those `main` and `run` make, and those of the subcommand's handler."""
    tree = ast.parse(CLI.read_text(encoding="utf-8"))
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    handler = stages_table(tree)[subcommand]
    top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    nodes = [*top_level, functions["main"], functions["run"], functions[handler]]
    names = imported_names(nodes, "xstilts.cli", is_package=False, skip_type_checking=True)
    return {CLI} | {f for f in map(module_file, names) if f is not None}


def stages_table(tree: ast.Module) -> dict[str, str]:
    """cli.py's STAGES: subcommand -> handler function name."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "STAGES" for t in node.targets
        ):
            return {
                key.value: value.id
                for key, value in zip(node.value.keys, node.value.values, strict=True)
            }
    raise AssertionError("cli.py has no STAGES table")


def subcommand(cmd: str) -> str:
    """The xstilts subcommand a stage's command runs (directly or through scripts/train.sh)."""
    words = cmd.split()
    for runner in (["-m", "xstilts.cli"], ["scripts/train.sh"]):
        for i in range(len(words) - len(runner) + 1):
            if words[i : i + len(runner)] == runner:
                return words[i + len(runner)]
    raise AssertionError(f"stage command {cmd!r} runs no xstilts subcommand")


def stage_sources(stage: dict) -> set[Path]:
    """Every file under src/ the stage's command loads."""
    return closure(cli_entry(subcommand(stage["cmd"])))


def covered(file: Path, listed: list[str]) -> bool:
    relative = file.relative_to(REPO).as_posix()
    return any(relative == dep or relative.startswith(f"{dep}/") for dep in listed)


def source_deps(stage: dict) -> list[str]:
    return [dep for dep in stage.get("deps", []) if dep.startswith("src/")]


STAGES = dvc_stages()


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_module_a_stage_loads_is_a_dependency(name: str) -> None:
    stage = STAGES[name]
    listed = source_deps(stage)
    missing = sorted(
        f.relative_to(REPO).as_posix() for f in stage_sources(stage) if not covered(f, listed)
    )
    assert not missing, f"dvc.yaml stage {name!r} does not list what it loads: {missing}"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_listed_source_is_used_by_its_stage(name: str) -> None:
    stage = STAGES[name]
    used = stage_sources(stage)
    for dep in source_deps(stage):
        target = REPO / dep
        assert target.exists(), f"dvc.yaml stage {name!r} lists {dep}, which does not exist"
        inside = [target] if target.is_file() else [p for p in target.rglob("*") if p.is_file()]
        assert any(p in used for p in inside), f"stage {name!r} lists {dep} but never loads it"


def test_the_closure_follows_imports_made_inside_functions() -> None:
    """The evaluate stage imports its library inside cli.py's handler, and the attack and
    perturbation registries load their modules at run time: all of them are in its closure."""
    used = {p.relative_to(PACKAGE).as_posix() for p in stage_sources(STAGES["evaluate"])}
    assert "cli.py" in used and "config.py" in used
    assert any(p.startswith("attack/") for p in used)
    assert "perturb/builtin/keyboard.py" in used
    assert any(p.startswith("perturb/data/keyboards/") for p in used)
    assert not any(p.startswith(("demo/", "rehearsal/")) for p in used)


INTERMEDIATE_ONLY = (paths.intermediate_dir, paths.retrieve_metrics, paths.retrieve_rows)
TEMPLATE = {"condition": "${item.condition}", "task": "${item.task}", "seed": "${item.seed}"}


def paths_module_templates() -> set[str]:
    """Every path `xstilts.paths` gives the stages, with dvc.yaml's matrix placeholders in place
    of condition, task and seed."""
    found = set()
    for name in dir(paths):
        value = getattr(paths, name)
        if isinstance(value, Path):
            found.add(value.as_posix())
        elif callable(value) and getattr(value, "__module__", None) == paths.__name__:
            code = value.__code__
            arguments = code.co_varnames[: code.co_argcount]
            found.add(Path(value(*(TEMPLATE[a] for a in arguments))).as_posix())
            # an RS-DA condition ("<condition>+rsda") has targets, not an intermediate model
            # (nor the retrieval scores of one)
            if "condition" in arguments and value not in INTERMEDIATE_ONLY:
                rsda = {**TEMPLATE, "condition": f"{TEMPLATE['condition']}{RSDA}"}
                found.add(Path(value(*(rsda[a] for a in arguments))).as_posix())
    return found


def stage_paths(stage: dict) -> set[str]:
    """The data paths a stage names: its outputs, metrics, plots and non-source deps."""
    named = [*stage.get("outs", []), *stage.get("metrics", []), *stage.get("deps", [])]
    named += [next(iter(p)) if isinstance(p, dict) else p for p in stage.get("plots", [])]
    return {p for p in named if not p.startswith(("src/", "scripts/", "data")) and p != "dvc.yaml"}


def test_dvc_yaml_paths_are_the_ones_paths_py_gives_the_code() -> None:
    """Each data path in dvc.yaml is a path of xstilts.paths (or a folder holding some), and
    each of those is in dvc.yaml, except the resume state, which is not a DVC output."""
    known = paths_module_templates()
    folders = {str(Path(p).parent.as_posix()) for p in known} | {
        Path(p).parents[i].as_posix() for p in known for i in range(len(Path(p).parents) - 1)
    }
    named = set().union(*(stage_paths(s) for s in STAGES.values()))
    stray = sorted(p for p in named if p not in known and p not in folders)
    assert not stray, f"dvc.yaml names paths xstilts.paths does not give: {stray}"
    holding = {p for p in known if any(k.startswith(f"{p}/") for k in known)}  # e.g. PLOTS
    unused = sorted(known - named - holding - {paths.STATE.as_posix()})
    assert not unused, f"xstilts.paths gives paths no dvc.yaml stage names: {unused}"
