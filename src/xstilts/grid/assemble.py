"""The grid's results into the repository: the finished stages' lock entries merged into its
dvc.lock, their outputs checked out of the shared cache, and `dvc status` asked."""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from xstilts import dvc_lockfile
from xstilts.grid.lockfile import merged, read_entries, write_entries
from xstilts.grid.state import GridFolder


@dataclass(frozen=True)
class Assembly:
    stages: tuple[str, ...]  # the stages whose entries were merged
    checked_out: bool
    up_to_date: bool | None  # `dvc status` afterwards (None: not asked)


def assemble(grid: GridFolder, repo: Path, order: list[str], status: bool = True) -> Assembly:
    """Merge every recorded entry into `repo`'s dvc.lock (in place, new stages in `order`),
    check their outputs out, forget the records; then `dvc status` when `status`."""
    done = grid.done_entries()
    checked_out = True
    if done:
        lock = repo / "dvc.lock"
        write_entries(lock, merged(read_entries(lock), done, order))
        checked_out = _dvc(repo, ["checkout", "--quiet", *done]) == 0
        if checked_out:
            grid.clear_done(list(done))
    up_to_date = _dvc(repo, ["status", "--quiet"]) == 0 if status else None
    return Assembly(tuple(done), checked_out, up_to_date)


def restore_cached(repo: Path) -> None:
    """Check out every output of the repository's dvc.lock that the DVC cache holds (a stage
    run before, by the grid or not, whose outputs were removed or never checked out here):
    `dvc status` then finds it up to date instead of sending it to Slurm again."""
    _dvc(repo, ["checkout", "--quiet", "--allow-missing"])


def changed_stages(repo: Path) -> set[str]:
    """The stages (and `.dvc` files) `dvc status` finds changed in `repo`, by their addresses
    from its root (DVC names them from the current directory)."""
    from dvc.repo import Repo

    with contextlib.chdir(repo), Repo(str(repo)) as dvc:
        return set(dvc.status())


def _dvc(repo: Path, args: list[str]) -> int:
    return subprocess.run(dvc_lockfile.command(args), cwd=repo, check=False).returncode
