"""The `neighbours` stage: the word neighbours RS-DA draws from, as a DVC output.

Sample profile: the sample world's `data/neighbours/en.json`, copied. Full profile: Robust-XLT's
counter-fitted neighbours, downloaded at a pinned commit and checked against their SHA-256
(`xstilts.robust.neighbours`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from xstilts.config import Params
from xstilts.io import atomic_dir
from xstilts.robust.neighbours import FILE, fetch_counterfitted, load_neighbours


def run_neighbours(params: Params, out_dir: Path) -> int:
    """Write the neighbours into `out_dir`, checked once for their shape; returns how many
    words have some (none, and no download, in a run without RS-DA conditions)."""
    with atomic_dir(out_dir) as tmp:
        if not params.rsda.conditions:
            return 0
        target = tmp / FILE
        if params.rsda.neighbours == "counterfitted":
            fetch_counterfitted(target)
        else:
            shutil.copyfile(Path(params.data.root) / "neighbours" / FILE, target)
        return len(load_neighbours(target))
