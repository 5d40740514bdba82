"""Command line: ``python -m xstilts.sample --out data [--params params.yaml | --seed N]``.

With ``--params`` the world is built from the file's ``sample_world`` section, which is how the
tracked ``data/`` was made (a test regenerates it and compares bit for bit).
"""

from __future__ import annotations

import argparse
import sys

from .config import SampleWorldConfig
from .world import generate_world


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xstilts.sample", description=__doc__)
    parser.add_argument("--out", required=True, help="directory to write the world into")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--params", help="take the sample_world section of this params file")
    source.add_argument("--seed", type=int, default=0, help="world seed (default 0)")
    args = parser.parse_args(argv)
    if args.params:
        from xstilts.config import load_params
        from xstilts.errors import XstiltsError

        try:
            config = load_params(args.params).sample_world
        except XstiltsError as err:
            print(f"xstilts.sample: error: {err}", file=sys.stderr)
            return 2
    else:
        config = SampleWorldConfig(seed=args.seed)
    manifest = generate_world(args.out, config)
    lines = sum(manifest["files"].values())
    print(f"wrote {len(manifest['files'])} files ({lines} lines) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
