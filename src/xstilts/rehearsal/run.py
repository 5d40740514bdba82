"""`xstilts rehearse`: the full profile's whole DVC graph, end to end, before a real run.

The repository's tracked and untracked (not ignored) files and its sample world `data/` are
copied into a scratch directory and committed there as a fresh git repository with no
`dvc.lock` (a first run); params.yaml becomes the full profile with the rehearsal overlay's
sizes (profiles/rehearsal.yaml), resolved with every key as `xstilts profile full` writes it.
Then `dvc repro` runs the same dvc.yaml and stage code against a stand-in hub started here on
127.0.0.1 (`HF_ENDPOINT`, `XSTILTS_MUSE_BASE_URL`), with the hub caches and DVC's cache and
site cache inside the scratch directory. The user's
params.yaml, outputs, dvc.lock, DVC cache and hub cache are never touched; the scratch
directory and the stand-in are gone afterwards (`--keep DIR` copies the scratch directory).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from xstilts import dvc_lockfile, forkserver
from xstilts.config import load_params, parse_params, render_params
from xstilts.errors import XstiltsError
from xstilts.grid.submit import GridOptions
from xstilts.perturb.lexicon import MUSE_BASE_ENV
from xstilts.rehearsal.hub_server import StandInServer
from xstilts.rehearsal.overlay import rehearsal_params, stand_in_sizes
from xstilts.rehearsal.repos import write_stand_in
from xstilts.stages.lexicons import lexicon_languages

PROBES = "xstilts.rehearsal.probes"
RUNNING = re.compile(r"^Running stage '([^']+)'")
FAILED = re.compile(r"failed to reproduce '([^']+)'")
HF_OFFLINE_VARS = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")
GRID_TIMEOUT_S = 3 * 3600  # a rehearsal's jobs, queued behind others on a busy cluster
OUTPUTS = ("reports/REPORT.md", "metrics/summary.json", "lexicons/missing.json")


@dataclass
class RehearsalResult:
    """What a rehearsal ran and how it went."""

    wall_s: float = 0.0
    returncode: int = 0
    stages_run: list[str] = field(default_factory=list)
    stages_failed: list[str] = field(default_factory=list)
    missing_outputs: list[str] = field(default_factory=list)
    requests: Counter[int] = field(default_factory=Counter)  # HTTP status -> count
    muse_missing: list[str] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    probes: list[dict] = field(default_factory=list)  # bad-input probes' outcomes
    up_to_date: bool = False  # `dvc status` after the run: nothing changed, nothing to rerun
    log: Path | None = None

    @property
    def ok(self) -> bool:
        probes_ok = bool(self.probes) and all(p["passed"] for p in self.probes)
        clean = not self.stages_failed and not self.missing_outputs and self.up_to_date
        return self.returncode == 0 and clean and probes_ok

    def summary(self) -> str:
        status = "passed" if self.ok else "FAILED"
        ranked = sorted(self.stage_seconds.items(), key=lambda item: -item[1])[:3]
        slowest = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in ranked)
        lines = [
            f"rehearsal {status} in {self.wall_s:.0f} s: {len(self.stages_run)} stages run, "
            f"{len(self.stages_failed)} failed",
            "stand-in requests by status: "
            + ", ".join(f"{code}: {n}" for code, n in sorted(self.requests.items())),
            f"MUSE dictionaries the stand-in lacks (404): {', '.join(self.muse_missing)}",
            f"slowest stages: {slowest}",
        ]
        lines += [
            f"bad-input probe {'passed' if p['passed'] else 'FAILED'}: {p['probe']}: {p['message']}"
            for p in self.probes
        ]
        if self.stages_failed:
            lines.append(f"failed stages: {', '.join(self.stages_failed)}")
        if not self.up_to_date:
            lines.append("`dvc status` after the run: not up to date")
        if self.missing_outputs:
            lines.append(f"missing outputs: {', '.join(self.missing_outputs)}")
        if self.log and not self.ok:
            lines.append(f"dvc repro's output: {self.log}")
        return "\n".join(lines)


# DVC-tracked inputs of the graph -> the .dvc file that pulls each
SAMPLE_INPUTS = {"data": "data.dvc", "pretrained": "pretrained.dvc"}


def copy_repository(repo: Path, scratch: Path) -> None:
    """The working tree (tracked and untracked, not ignored) plus the DVC-tracked sample inputs
    (`data/`, `pretrained/`: dvc.yaml is profile-independent, so the full DAG lists them too),
    as a fresh git repo."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo, check=True, capture_output=True,
    ).stdout.decode()  # fmt: skip
    tracked_by_dvc = tuple(f"{name}/" for name in SAMPLE_INPUTS)
    for name in filter(None, listed.split("\0")):
        source = repo / name
        if source.is_file() and not name.startswith(tracked_by_dvc):
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, scratch / name)
    for name, pull in SAMPLE_INPUTS.items():
        if not (repo / name).is_dir():
            raise XstiltsError(
                f"{name}/ is missing (the full profile's DAG reads it): run `dvc pull {pull}`"
            )
        shutil.copytree(repo / name, scratch / name)
    (scratch / "dvc.lock").unlink(missing_ok=True)
    git = ["git", "-c", "user.name=rehearsal", "-c", "user.email=rehearsal@localhost"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "rehearsal"]):
        subprocess.run([*git, *command], cwd=scratch, check=True, capture_output=True)


def container_dvc_setup(scratch: Path, cache: Path) -> None:
    """The image's DVC configuration (the Dockerfile's `RUN dvc ...` line), with the cache
    volume `/cache/dvc` at `cache`: the full run happens in the container."""
    lines = (scratch / "Dockerfile").read_text(encoding="utf-8").splitlines()
    for line in (line for line in lines if line.startswith("RUN dvc ")):
        for command in line.removeprefix("RUN ").split("&&"):
            words = shlex.split(command.replace("/cache/dvc", str(cache)))
            subprocess.run(
                [sys.executable, "-m", *words], cwd=scratch, env=dvc_environment(scratch),
                check=True, capture_output=True,
            )  # fmt: skip


def dvc_environment(scratch: Path) -> dict[str, str]:
    """This environment, with DVC's per-repository site cache (its index and state databases)
    inside the scratch directory and its usage analytics off."""
    site_cache = str(scratch.parent / "dvc-site")
    return {**os.environ, "DVC_SITE_CACHE_DIR": site_cache, "DVC_NO_ANALYTICS": "1"}


def require_loopback(url: str) -> None:
    """The stand-in answers on 127.0.0.1: stop before any stage if loopback does not work (in
    a fresh network namespace, such as `unshare -rn`, `lo` starts down)."""
    try:
        with urllib.request.urlopen(url, timeout=5.0):
            pass
    except OSError as err:
        raise XstiltsError(
            f"the stand-in hub at {url} does not answer ({getattr(err, 'reason', err)}): "
            f"loopback is down; in a new network namespace run `ip link set lo up` first"
        ) from None


def stage_environment(scratch: Path, hub_url: str) -> dict[str, str]:
    """The stages' environment: this interpreter, the scratch copy's code, the stand-in hub,
    and hub caches inside the scratch directory."""
    env = {k: v for k, v in dvc_environment(scratch).items() if k not in HF_OFFLINE_VARS}
    cache = scratch.parent / "hf"
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(scratch / "src"),
        HF_ENDPOINT=hub_url,
        HF_HOME=str(cache),
        HF_DATASETS_CACHE=str(cache / "datasets"),
        HF_HUB_DISABLE_TELEMETRY="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        **{MUSE_BASE_ENV: f"{hub_url}/muse"},
    )
    return env


def run_dvc(scratch: Path, env: dict[str, str], log: Path, result: RehearsalResult) -> None:
    """`dvc repro --keep-going` in the scratch copy (through `xstilts.dvc_lockfile`), its output
    to `log` and the terminal."""
    command = dvc_lockfile.command(["repro", "--keep-going"])
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            command, cwd=scratch, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace",
        )  # fmt: skip
        assert process.stdout is not None
        began = time.monotonic()
        for line in process.stdout:
            out.write(line)
            if match := RUNNING.match(line):
                _close_stage(result, began)
                began = time.monotonic()
                result.stages_run.append(match[1])
                print(f"  stage {match[1]}", flush=True)
            elif match := FAILED.search(line):
                result.stages_failed.append(match[1])
        result.returncode = process.wait()
        _close_stage(result, began)


def _close_stage(result: RehearsalResult, began: float) -> None:
    """Time the stage that was running (DVC's own work between stages included)."""
    if result.stages_run:
        result.stage_seconds[result.stages_run[-1]] = time.monotonic() - began


def run_grid(
    scratch: Path, env: dict[str, str], log: Path, result: RehearsalResult, options: GridOptions
) -> None:
    """The graph as Slurm jobs (`xstilts grid submit`), waited for; the jobs' states and logs
    to `log`. sbatch hands the submitting environment (the stand-in hub's) to every job."""
    from xstilts.grid.slurm import Slurm
    from xstilts.grid.state import ASSEMBLY, GridFolder
    from xstilts.grid.status import DONE, JOB_DONE, format_status, wait_for
    from xstilts.grid.submit import submit

    grid = GridFolder(scratch / options.folder)
    # the jobs check the sample inputs out of the DVC cache: put the copied ones there
    commit = dvc_lockfile.command(["commit", "--force", "--quiet", *SAMPLE_INPUTS.values()])
    subprocess.run(commit, cwd=scratch, env=env, check=True)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        summary = submit(scratch, load_params(scratch / "params.yaml"), options)
        print(f"  {summary}", flush=True)
        try:
            states = wait_for(grid, Slurm(), timeout=GRID_TIMEOUT_S)
        except BaseException:  # the scratch folder goes with this process: so do its jobs
            submission = grid.read()
            with contextlib.suppress(XstiltsError):
                jobs = [*submission.jobs.values(), submission.assemble_job]
                Slurm().cancel([job for job in jobs if job])
            raise
        report = format_status(grid, Slurm())
    finally:
        os.environ.clear()
        os.environ.update(saved)
    stages = {name: state for name, state in states.items() if name != ASSEMBLY}
    result.stages_run = [name for name, state in stages.items() if state == DONE]
    result.stages_failed = [name for name, state in stages.items() if state != DONE]
    result.returncode = 0 if set(states.values()) == {DONE} else 1
    with log.open("w", encoding="utf-8") as out:
        out.write(f"{summary}\n{report}\n")
        for path in sorted((grid.root / "logs").glob("*.out")):
            text = path.read_text(encoding="utf-8", errors="replace")
            out.write(f"==> {path.name} <==\n{text}")
            if done := JOB_DONE.search(text):
                result.stage_seconds[done[1]] = float(done[2])


def dvc_up_to_date(scratch: Path, env: dict[str, str]) -> bool:
    """`dvc status`: every stage's recorded deps and outputs match the workspace."""
    done = subprocess.run(
        [sys.executable, "-m", "dvc", "status"], cwd=scratch, env=env, capture_output=True,
        text=True,
    )  # fmt: skip
    return done.returncode == 0 and "up to date" in done.stdout


def run_probes(scratch: Path, env: dict[str, str], result: RehearsalResult) -> None:
    """The bad-input probes (xstilts.rehearsal.probes), in the stages' environment."""
    done = subprocess.run(
        [sys.executable, "-m", PROBES], cwd=scratch, env=env, capture_output=True, text=True
    )
    result.probes = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if not result.probes:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
        result.probes = [{"probe": "probes", "passed": False, "message": " ".join(tail)}]


def write_record(path: Path, result: RehearsalResult) -> None:
    """What the rehearsal ran, as JSON (kept with the scratch directory)."""
    record = {
        "wall_s": round(result.wall_s, 1),
        "stages_run": result.stages_run,
        "stages_failed": result.stages_failed,
        "stage_seconds": {k: round(v, 1) for k, v in result.stage_seconds.items()},
        "requests": dict(result.requests),
        "probes": result.probes,
        "up_to_date": result.up_to_date,
    }
    path.write_text(json.dumps(record, indent=1), encoding="utf-8")


def rehearse(
    repo: Path, keep: Path | None = None, grid: GridOptions | None = None
) -> RehearsalResult:
    """Run the rehearsal of `repo`'s full profile; `keep`: copy the scratch directory there;
    `grid`: run the graph as Slurm jobs instead of one `dvc repro`."""
    repo = repo.resolve()
    params = rehearsal_params(repo)
    sizes = stand_in_sizes(repo)
    started = time.monotonic()
    result = RehearsalResult()
    with tempfile.TemporaryDirectory(prefix="xstilts-rehearsal-") as tmp:
        scratch = Path(tmp) / "repo"
        copy_repository(repo, scratch)
        container_dvc_setup(scratch, Path(tmp) / "dvc-cache")
        resolved = parse_params(params)
        # every key written, as `xstilts profile full` writes a real run's
        (scratch / "params.yaml").write_text(render_params(resolved, "full"))
        languages = lexicon_languages(resolved)
        model = (params["base"]["hub_model"], params["base"]["hub_revision"])
        result.muse_missing = write_stand_in(Path(tmp) / "hub", sizes, model, languages)
        log = Path(tmp) / "dvc-repro.log"
        with StandInServer(Path(tmp) / "hub") as server:
            require_loopback(server.url)
            env = stage_environment(scratch, server.url)
            if grid is None:
                with forkserver.started(env):
                    run_dvc(scratch, env, log, result)
            else:
                run_grid(scratch, env, log, result, grid)
            result.up_to_date = dvc_up_to_date(scratch, env)
            run_probes(scratch, env, result)
            result.requests = Counter(status for _, _, status in server.log.entries)
            (Path(tmp) / "requests.tsv").write_text(
                "".join(f"{m}\t{p}\t{s}\n" for m, p, s in server.log.entries), encoding="utf-8"
            )
        result.missing_outputs = [name for name in OUTPUTS if not (scratch / name).is_file()]
        result.wall_s = time.monotonic() - started
        if keep is not None:
            write_record(Path(tmp) / "rehearsal.json", result)
            shutil.copytree(tmp, keep, dirs_exist_ok=True)
            result.log = keep / log.name
    return result
