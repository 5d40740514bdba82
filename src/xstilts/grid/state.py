"""The grid folder (`.grid/` in the repository by default, on the cluster's shared filesystem).

grid.json            the last submission: repository, DVC cache, stages, jobs, skipped
source/<digest>/     a snapshot of the repository's files, one per submission: what its
                     jobs copy, so editing the repository meanwhile changes no job's input
done/<stage>.json    a finished stage's dvc.lock entry (written last, atomically)
logs/<stage>.<job>.out
scripts/<stage>.sh   the job scripts sbatch was given
work/<stage>/        a running (or failed) job's workspace; removed when it succeeds
state/               resume state, shared by the workspaces: a resubmitted stage resumes
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from xstilts.errors import XstiltsError

FOLDER = Path(".grid")
ASSEMBLY = ":assemble"  # the last job's key in the records (no DVC stage address has this form)


@dataclass
class Submission:
    """What `xstilts grid submit` did last, as grid.json records it."""

    repo: str
    cache: str  # the DVC cache every workspace shares
    cache_type: str | None  # the repository's cache.type (links or copies), for the workspaces
    snapshot: str  # the source snapshot's digest
    python: str  # the interpreter the jobs run
    stages: list[dict[str, Any]]  # name, after, tracked, resources, in submission order
    jobs: dict[str, str] = field(default_factory=dict)  # stage -> Slurm job id
    skipped: list[str] = field(default_factory=list)  # up to date: not submitted
    assemble_job: str | None = None
    source: str = ""  # the digest of the snapshot's files but dvc.lock (the code and params)

    def stage(self, name: str) -> dict[str, Any]:
        for stage in self.stages:
            if stage["name"] == name:
                return stage
        raise XstiltsError(f"stage {name!r} is not in this grid's submission")


class GridFolder:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @property
    def record(self) -> Path:
        return self.root / "grid.json"

    def read(self) -> Submission:
        if not self.record.is_file():
            raise XstiltsError(f"no grid was submitted from here ({self.record} is missing)")
        return Submission(**json.loads(self.record.read_text(encoding="utf-8")))

    def write(self, submission: Submission) -> None:
        write_atomically(self.record, json.dumps(asdict(submission), indent=1) + "\n")

    def done_file(self, stage: str) -> Path:
        return self.root / "done" / f"{file_name(stage)}.json"

    def done_entries(self) -> dict[str, dict[str, Any]]:
        """Every finished stage's dvc.lock entry, by stage."""
        records = {}
        for path in sorted((self.root / "done").glob("*.json")):
            try:  # an assembly may clear a record between the listing and the read
                record = json.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                continue
            records[record["stage"]] = record["entry"]
        return records

    def record_done(self, stage: str, entry: dict[str, Any], job: str | None) -> None:
        record = {"stage": stage, "job": job, "entry": entry}
        write_atomically(self.done_file(stage), json.dumps(record, indent=1) + "\n")

    def clear_done(self, stages: list[str]) -> None:
        for stage in stages:
            self.done_file(stage).unlink(missing_ok=True)

    def log(self, stage: str, job: str) -> Path:
        return self.root / "logs" / f"{file_name(stage)}.{job}.out"

    def log_pattern(self, stage: str) -> str:
        """The log's path as sbatch's `--output` takes it: `%j` for the job id, any other `%`
        doubled (sbatch reads `%3A` as a padded job id)."""
        folder = str(self.root / "logs").replace("%", "%%")
        return f"{folder}/{file_name(stage).replace('%', '%%')}.%j.out"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One writer of the repository's dvc.lock and the records at a time (the assembly job,
        a submission merging results, `xstilts grid assemble`), across processes and nodes
        (flock on a file in the grid folder)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def script(self, stage: str) -> Path:
        return self.root / "scripts" / f"{file_name(stage)}.sh"

    def workspace(self, stage: str) -> Path:
        return self.root / "work" / file_name(stage)

    def snapshot(self, digest: str) -> Path:
        return self.root / "source" / digest

    @property
    def resume_state(self) -> Path:
        return self.root / "state"


def file_name(stage: str) -> str:
    """A stage address as a file name (`evaluate@multi+mlm-xnli-0` stays readable)."""
    return quote(stage, safe="@+-_.,=").replace("%", "~")


def write_atomically(path: Path, text: str) -> None:
    """Write then rename: a reader sees the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{socket.gethostname()}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def repository_files(repo: Path, skip: tuple[str, ...]) -> list[str]:
    """The files git lists in the working tree (tracked, and untracked but not ignored), but
    those under `skip` (DVC-tracked data and a DVC remote inside the repository)."""
    prefixes = tuple(f"{s.rstrip('/')}/" for s in skip)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo, capture_output=True,
    )  # fmt: skip
    if listed.returncode:
        raise XstiltsError(f"{repo} is not a git working tree: the grid snapshots what git lists")
    return [
        name
        for name in filter(None, os.fsdecode(listed.stdout).split("\0"))
        if not name.startswith(prefixes) and name not in skip and (repo / name).is_file()
    ]


def source_digest(repo: Path, skip: tuple[str, ...], lock: bool = False) -> str:
    """A digest of the repository's files (names and contents); dvc.lock only with `lock`."""
    names = repository_files(repo, skip)
    return _digest(repo, names if lock else [n for n in names if n != "dvc.lock"])


def _digest(repo: Path, names: list[str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(names):
        content = hashlib.sha256((repo / name).read_bytes()).digest()
        digest.update(os.fsencode(name) + b"\0" + content)
    return digest.hexdigest()[:16]


def take_snapshot(grid: GridFolder, repo: Path, skip: tuple[str, ...]) -> str:
    """Copy the repository's files into the grid folder once per content; their digest."""
    names = repository_files(repo, skip)
    key = _digest(repo, names)
    target = grid.snapshot(key)
    if not target.is_dir():
        partial = target.with_name(f".{key}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        for name in names:
            (partial / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(repo / name, partial / name)
        os.replace(partial, target)
    return key
