"""The command inside a grid job: `python -m xstilts.grid.job --grid DIR STAGE` runs one stage
(`xstilts.grid.workspace`), `--assemble` is the last job of a submission."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from xstilts.errors import XstiltsError
from xstilts.grid.assemble import assemble, report
from xstilts.grid.state import GridFolder
from xstilts.grid.workspace import run_stage


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xstilts.grid.job")
    parser.add_argument("--grid", required=True, type=Path)
    parser.add_argument("stage", nargs="?")
    parser.add_argument("--assemble", action="store_true")
    args = parser.parse_args(argv)
    grid = GridFolder(args.grid)
    try:
        submission = grid.read()
        if args.assemble:
            names = [stage["name"] for stage in submission.stages]
            line, code = report(assemble(grid, Path(submission.repo), names))
            print(line, file=sys.stderr if code else sys.stdout)
            return code
        if not args.stage:
            parser.error("a stage, or --assemble")
        return run_stage(grid, submission, args.stage, os.environ.get("SLURM_JOB_ID"))
    except XstiltsError as err:
        print(f"xstilts grid: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
