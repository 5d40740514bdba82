"""Every JSON file the pipeline writes is strict JSON: an undefined number (NaN, an infinity) is
written as `null`, never as the bare `NaN` / `Infinity` that jq, JavaScript and strict parsers
reject."""

from __future__ import annotations

import math
from pathlib import Path

from xstilts.io import read_jsonl, write_json, write_jsonl

from .conftest import strict_load


def test_undefined_numbers_are_written_as_null(tmp_path: Path) -> None:
    summary = {
        "drop_a_std": math.nan,
        "ratio": math.inf,
        "rows": [{"se": -math.inf, "diff": 0.25}, (math.nan, 1)],
        "n": 3,
    }
    write_json(tmp_path / "summary.json", summary)
    assert strict_load((tmp_path / "summary.json").read_text(encoding="utf-8")) == {
        "drop_a_std": None,
        "ratio": None,
        "rows": [{"se": None, "diff": 0.25}, [None, 1]],
        "n": 3,
    }


def test_jsonl_rows_are_strict_json_too(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "rows.jsonl", [{"prob": math.nan}, {"prob": 0.5}])
    lines = (tmp_path / "rows.jsonl").read_text(encoding="utf-8").splitlines()
    assert [strict_load(line) for line in lines] == [{"prob": None}, {"prob": 0.5}]
    assert read_jsonl(tmp_path / "rows.jsonl")[0]["prob"] is None
