"""The tracked sample data (data/, pulled with `dvc pull data.dvc`) is exactly what the
generator writes for params.yaml's sample_world section."""

from __future__ import annotations

import filecmp
from pathlib import Path

from xstilts.config import load_params
from xstilts.sample.world import generate_world

from .conftest import REPO


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_generator_reproduces_the_tracked_data_bit_for_bit(tmp_path) -> None:
    data = REPO / "data"
    assert (data / "world.json").exists(), "sample data missing: run `dvc pull data.dvc`"
    generate_world(tmp_path, load_params(REPO / "params.yaml").sample_world)
    assert tree(tmp_path) == tree(data)
    _, mismatch, errors = filecmp.cmpfiles(data, tmp_path, tree(data), shallow=False)
    assert not mismatch and not errors, f"differs from the generator: {mismatch + errors}"


def test_data_dvc_tracks_data_and_the_remote_is_inside_the_repo() -> None:
    assert "path: data" in (REPO / "data.dvc").read_text(encoding="utf-8")
    config = (REPO / ".dvc" / "config").read_text(encoding="utf-8")
    assert "url = ../dvc-remote" in config
    assert (REPO / "dvc-remote").is_dir()
