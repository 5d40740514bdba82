"""The modules a Python source names in its import statements, read with `ast`: shared by the
layer test (tests/test_layers.py) and the stage-deps test (tests/test_stage_deps.py)."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def module_name(path: Path) -> str:
    """`src/xstilts/pkg/mod.py` -> `xstilts.pkg.mod`; a package's `__init__.py` -> the package."""
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def walk(root: ast.AST, skip_type_checking: bool) -> list[ast.AST]:
    """`ast.walk`, optionally leaving out `if TYPE_CHECKING:` blocks (type checkers read them;
    Python never runs them)."""
    found, todo = [], [root]
    while todo:
        node = todo.pop()
        found.append(node)
        if (
            skip_type_checking
            and isinstance(node, ast.If)
            and "TYPE_CHECKING" in ast.unparse(node.test)
        ):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return found


def imported_names(
    nodes: Iterable[ast.AST], module: str, is_package: bool, skip_type_checking: bool = False
) -> set[str]:
    """Modules named by the import statements in `nodes` (at any depth: function-level imports
    count; relative ones are resolved against `module`), `from x import y` counting both x and
    x.y (y may be a submodule)."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for root in nodes:
        for node in walk(root, skip_type_checking):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, node.module] if node.module else anchor)
                else:
                    base = node.module or ""
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
    return found
