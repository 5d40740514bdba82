"""Command line: ``python -m xstilts.sample --out data [--seed N]``.

This builds a world from a seed alone. The tracked ``data/`` is built from ``params.yaml``'s
``sample_world`` section by ``xstilts sample-world --out data`` (the package CLI reads and
validates the params file; this generator never does), and a test regenerates it and compares
bit for bit.
"""

from __future__ import annotations

import argparse
import sys

from .world import write_world
from .world_config import SampleWorldConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xstilts.sample", description=__doc__)
    parser.add_argument("--out", required=True, help="directory to write the world into")
    parser.add_argument("--seed", type=int, default=0, help="world seed (default 0)")
    args = parser.parse_args(argv)
    print(write_world(args.out, SampleWorldConfig(seed=args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
