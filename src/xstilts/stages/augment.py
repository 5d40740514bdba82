"""The `augment` stage: RS-DA's training copies of each RS-DA target's English training split,
one file per seed, shared by every condition trained with RS-DA (`xstilts.robust.augment`). One
stage writes them all: without RS-DA conditions it writes nothing, which a stage per task could
not do (DVC's matrix would still list the tasks)."""

from __future__ import annotations

import logging
from pathlib import Path

from xstilts.config import Params
from xstilts.data.prepared import iter_split
from xstilts.examples import example_to_dict
from xstilts.io import atomic_dir, write_jsonl
from xstilts.paths import AUGMENTED, augmented_set
from xstilts.robust.augment import Neighbours, augment, changed_share
from xstilts.robust.neighbours import FILE, load_neighbours

log = logging.getLogger(__name__)


def run_augment_all(
    params: Params, prepared: Path, neighbours_dir: Path, out_dir: Path
) -> list[Path]:
    """Write every RS-DA target's copies for every seed under `out_dir`; returns the files."""
    written = []
    with atomic_dir(out_dir) as tmp:
        tasks = params.rsda.tasks if params.rsda.conditions else ()
        neighbours = load_neighbours(neighbours_dir / FILE) if tasks else {}
        for task in tasks:
            for seed in params.seeds:
                relative = augmented_set(task, seed).relative_to(AUGMENTED)
                run_augment(params, task, seed, prepared, neighbours, tmp / relative)
                written.append(out_dir / relative)
    return written


def run_augment(
    params: Params, task: str, seed: int, prepared: Path, neighbours: Neighbours, out: Path
) -> int:
    """Write the copies of one task's training split for one seed to `out`; returns how many."""
    copies = params.rsda.copies[task]
    examples = list(iter_split(prepared, task, "train"))
    augmented = list(augment(examples, neighbours, copies, seed))
    out.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(out, (example_to_dict(e) for e in augmented))
    share = changed_share(examples, augmented)
    log.info("%s: %d copies of %d examples, %.1f%% changed", task, len(augmented), len(examples),
             100 * share)  # fmt: skip
    return len(augmented)
