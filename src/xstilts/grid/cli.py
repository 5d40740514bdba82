"""`xstilts grid`'s subcommands and options."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from xstilts.config import load_params
from xstilts.errors import XstiltsError
from xstilts.grid.assemble import assemble, report
from xstilts.grid.resources import ResourcePolicy
from xstilts.grid.slurm import ACTIVE, Slurm
from xstilts.grid.state import ASSEMBLY, FOLDER, GridFolder
from xstilts.grid.status import format_status, job_states
from xstilts.grid.submit import GridOptions, submit

DEFAULTS = ResourcePolicy()


def build_parser() -> argparse.ArgumentParser:
    grid = argparse.ArgumentParser(
        prog="xstilts grid",
        description="The pipeline's stages as Slurm jobs, one per stage, ordered by the DVC "
        "graph, on the shared DVC cache (REPRODUCE.md, 'On a Slurm cluster').",
    )
    actions = grid.add_subparsers(dest="grid_command", required=True)
    submit_ = actions.add_parser("submit", help="submit every stage that is not up to date")
    submit_.add_argument("--dry-run", action="store_true", help="print the jobs, submit none")
    submit_.add_argument("--partition", help="Slurm partition (default: the cluster's)")
    submit_.add_argument(
        "--sbatch",
        action="append",
        default=[],
        metavar="OPTION",
        help="one more sbatch option for every job, e.g. --sbatch=--account=x",
    )
    submit_.add_argument(
        "--setup",
        action="append",
        default=[],
        metavar="LINE",
        help="a line each job script runs first (module load, a venv)",
    )
    submit_.add_argument(
        "--launcher",
        default="",
        metavar="COMMAND",
        help="prefix of each job's command, e.g. 'apptainer exec --nv x.sif'",
    )
    submit_.add_argument("--python", default=sys.executable, help="the jobs' interpreter")
    submit_.add_argument("--params", default="params.yaml", help="parameter file")
    submit_.add_argument("--gpus", type=int, default=DEFAULTS.gpus, help="GPUs per GPU stage")
    submit_.add_argument("--cpus", type=int, default=DEFAULTS.cpus, help="CPUs per job")
    submit_.add_argument("--mem", default=DEFAULTS.mem, help="memory per job (sbatch --mem)")
    submit_.add_argument(
        "--time-factor",
        type=float,
        default=DEFAULTS.time_factor,
        help="a GPU stage's time limit is `xstilts plan`'s estimate times this",
    )
    submit_.add_argument(
        "--min-minutes",
        type=int,
        default=DEFAULTS.min_minutes,
        help="the least time limit of a GPU stage",
    )
    submit_.add_argument(
        "--cpu-minutes",
        type=int,
        default=DEFAULTS.cpu_minutes,
        help="the time limit of a stage without a GPU estimate",
    )
    for name, text in (
        ("status", "what the last submission's jobs did, and what is left"),
        ("assemble", "merge the finished stages into dvc.lock and check their outputs out"),
        ("cancel", "cancel the last submission's pending and running jobs"),
    ):
        actions.add_parser(name, help=text)
    for action in actions.choices.values():
        action.add_argument("--folder", type=Path, default=FOLDER, help="the grid's folder")
    return grid


def main(argv: list[str]) -> int:
    """`xstilts grid ...`; errors are one line (exit status 2)."""
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except XstiltsError as err:
        print(f"xstilts: error: {err}", file=sys.stderr)
        return 2


def grid_options(args: argparse.Namespace) -> GridOptions:
    """`submit`'s options as the library takes them."""
    return GridOptions(
        folder=args.folder,
        slurm=Slurm(args.partition, tuple(args.sbatch)),
        policy=ResourcePolicy(
            args.gpus, args.cpus, args.mem, args.time_factor, args.min_minutes, args.cpu_minutes
        ),
        setup=tuple(args.setup),
        launcher=tuple(shlex.split(args.launcher)),
        python=args.python,
    )


def parse_submit_options(text: str) -> GridOptions:
    """`xstilts grid submit`'s options given as one string (`xstilts rehearse --grid`)."""
    return grid_options(build_parser().parse_args(["submit", *shlex.split(text)]))


def run(args: argparse.Namespace) -> int:
    repo = Path.cwd()
    grid = GridFolder(repo / args.folder)
    if args.grid_command == "submit":
        options = grid_options(args)
        print(submit(repo, load_params(args.params), options, dry_run=args.dry_run))
        return 0
    slurm = Slurm()
    if args.grid_command == "status":
        print(format_status(grid, slurm))
        return 0
    if args.grid_command == "cancel":
        submission = grid.read()
        jobs = {**submission.jobs, ASSEMBLY: submission.assemble_job or ""}
        states = job_states(grid, slurm)
        active = [jobs[s] for s, state in states.items() if state.upper() in ACTIVE]
        slurm.cancel(active)
        print(f"xstilts grid: cancelled {len(active)} job(s)")
        return 0
    names = [stage["name"] for stage in grid.read().stages]
    line, code = report(assemble(grid, repo, names))
    print(line, file=sys.stderr if code else sys.stdout)
    return code
