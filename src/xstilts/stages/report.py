"""The `report` stage: writes the report document (`xstilts.report.document`: tables of
condition x task x language from the runs listed in params, the answer, robustness tables and
plots) and its summary."""

from __future__ import annotations

from pathlib import Path

from xstilts.config import Params
from xstilts.io import atomic_file, write_json
from xstilts.report.document import build_report


def write_report(params: Params, root: Path, report_path: Path, summary_path: Path) -> dict:
    text, summary = build_report(params, root, report_path.parent / "plots")
    with atomic_file(report_path) as tmp:
        tmp.write_text("\n".join(text), encoding="utf-8")
    write_json(summary_path, summary)
    return summary
