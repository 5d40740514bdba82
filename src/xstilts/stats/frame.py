"""The tidy table of per-example correctness, validated and pivoted so paired rows line up.

One row per (condition, task, seed, language, variant, example_id) with `correct` in {0, 1}, or
a score in [0, 1] (a span-QA answer's F1: the bootstrap and the sign-flip test take any
per-example score; McNemar's counts are left empty for such rows). Rows
of two sides pair on (seed, language, example_id) within a task and variant: the same seed gives
the same perturbed inputs to every model, so those are the identical-input pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from xstilts.errors import XstiltsError

COLUMNS = ("condition", "task", "seed", "language", "variant", "example_id", "correct")
KEY = COLUMNS[:-1]
ROW_KEY = ("seed", "language", "example_id")


def validate(frame: pd.DataFrame) -> pd.DataFrame:
    """Check columns, keys and 0/1 correctness (or a score in [0, 1]); return the needed
    columns, `correct` as float."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise XstiltsError(
            f"correctness table lacks columns {missing}; it needs exactly {list(COLUMNS)}"
        )
    table = frame.loc[:, list(COLUMNS)].copy()
    if table[list(KEY)].isna().any().any():
        raise XstiltsError(f"correctness table has empty key cells; every row needs all of {KEY}")
    correct = pd.to_numeric(table["correct"], errors="coerce").astype(np.float64)
    if correct.isna().any() or not correct.between(0.0, 1.0).all():
        raise XstiltsError(
            "column `correct` must hold 0/1 (or booleans), or a score in [0, 1], on every row"
        )
    table["correct"] = correct
    duplicated = table.duplicated(list(KEY))
    if duplicated.any():
        first = table.loc[duplicated, list(KEY)].iloc[0].to_dict()
        raise XstiltsError(
            f"correctness table has {int(duplicated.sum())} duplicated rows, e.g. {first}; "
            "keep one row per (condition, task, seed, language, variant, example_id)"
        )
    return table


def pivot(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Wide table: one row per (seed, language, example_id), one column per `columns` value."""
    wide = table.pivot(index=list(ROW_KEY), columns=list(columns), values="correct")
    return wide.sort_index()


def require_same_rows(
    wide: pd.DataFrame, left: object, right: object, where: str, subset: bool = False
) -> pd.Series:
    """Rows present on `left`; raise if `right` lacks any of them (or, unless `subset`, has more).

    `left`/`right` are column labels of `wide`; a label absent from `wide` has no rows.
    """
    present_left = _present(wide, left)
    present_right = _present(wide, right)
    only_left = present_left & ~present_right
    only_right = present_right & ~present_left
    if subset:
        only_right[:] = False
    if only_left.any() or only_right.any():
        raise XstiltsError(
            f"{where}: the two sides do not cover the same (seed, language, example_id) rows: "
            f"{int(only_left.sum())} only in {left!r} (e.g. {_examples(only_left)}), "
            f"{int(only_right.sum())} only in {right!r} (e.g. {_examples(only_right)}); "
            "evaluate both on the same examples and seeds"
        )
    return present_left


def _present(wide: pd.DataFrame, label: object) -> pd.Series:
    if label not in wide.columns:
        return pd.Series(False, index=wide.index)
    return wide[label].notna()


def _examples(mask: pd.Series) -> list[tuple]:
    return [tuple(k) for k in mask.index[mask.to_numpy()][:3]]
