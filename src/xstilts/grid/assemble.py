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
from xstilts.grid.status import MERGED


@dataclass(frozen=True)
class Assembly:
    stages: tuple[str, ...]  # the stages whose entries were merged
    checked_out: bool
    up_to_date: bool | None  # `dvc status` afterwards (None: not asked)


def assemble(grid: GridFolder, repo: Path, order: list[str], status: bool = True) -> Assembly:
    """Merge every recorded entry of a stage in `order` (the graph's) into `repo`'s dvc.lock
    (in place, new stages in that order), check their outputs out, forget the records (those
    of stages no longer in the graph too); then `dvc status` when `status`. Under the grid's
    lock: one writer at a time."""
    with grid.locked():
        recorded = grid.done_entries()
        done = {name: entry for name, entry in recorded.items() if name in order}
        gone = sorted(set(recorded) - set(done))
        if gone:
            print(f"xstilts grid: dropping the results of stages no longer in dvc.yaml: {gone}")
            grid.clear_done(gone)
        checked_out = True
        if done:
            lock = repo / "dvc.lock"
            write_entries(lock, merged(read_entries(lock), done, order))
            checked_out = _dvc_command(repo, ["checkout", "--quiet", *done]) == 0
            if checked_out:
                grid.clear_done(list(done))
    up_to_date = _dvc_command(repo, ["status", "--quiet"]) == 0 if status else None
    return Assembly(tuple(done), checked_out, up_to_date)


def report(result: Assembly) -> tuple[str, int]:
    """The assembly's closing line and exit status (0: merged, checked out, up to date)."""
    if not result.checked_out:
        return "xstilts grid: the merged results could not be checked out (see above)", 1
    if result.up_to_date is False:
        return "xstilts grid: `dvc status` is not clean after the assembly", 1
    return f"xstilts grid: {len(result.stages)} stage(s) {MERGED}", 0


def restore_cached(repo: Path) -> None:
    """Check out every output of the repository's dvc.lock that the DVC cache holds (a stage
    run before, by the grid or not, whose outputs were removed or never checked out here):
    `dvc status` then finds it up to date instead of sending it to Slurm again."""
    _dvc_command(repo, ["checkout", "--quiet", "--allow-missing"])


def changed_stages(repo: Path) -> set[str]:
    """The stages (and `.dvc` files) `dvc status` finds changed in `repo`, by their addresses
    from its root (DVC names them from the current directory)."""
    from dvc.repo import Repo

    with contextlib.chdir(repo), Repo(str(repo)) as dvc:
        return set(dvc.status())


def _dvc_command(repo: Path, args: list[str]) -> int:
    """DVC as a command of its own in `repo` (the submitting process keeps its directory)."""
    return subprocess.run(dvc_lockfile.command(args), cwd=repo, check=False).returncode
