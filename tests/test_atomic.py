"""Atomic outputs clear what a killed run left next to them."""

from __future__ import annotations

import pytest

from xstilts.io import atomic_dir, atomic_file


def killed_run_leftover(parent, name: str) -> None:
    """What `kill -9` inside an atomic block leaves: a half-written temporary sibling."""
    leftover = parent / name
    leftover.mkdir()
    (leftover / "tensors.safetensors").write_bytes(b"half")


@pytest.mark.parametrize("leftover", [".seed0.k3x_9a2b", ".seed0.tmp-rank0"])
def test_atomic_dir_removes_a_killed_runs_leftover(tmp_path, leftover) -> None:
    killed_run_leftover(tmp_path, leftover)
    with atomic_dir(tmp_path / "seed0") as tmp:
        (tmp / "done").write_text("x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed0"]


@pytest.mark.parametrize("leftover", [".metrics.json.k3x_9a2b", ".metrics.json.tmp-rank0"])
def test_atomic_file_removes_a_killed_runs_leftover(tmp_path, leftover) -> None:
    (tmp_path / leftover).write_text("half")
    with atomic_file(tmp_path / "metrics.json") as tmp:
        tmp.write_text("{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]


def test_leftovers_are_cleared_before_the_block_runs(tmp_path) -> None:
    """A rerun that is killed again must not pile up leftovers either."""
    killed_run_leftover(tmp_path, ".seed0.k3x_9a2b")
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "seed0"):
        assert not (tmp_path / ".seed0.k3x_9a2b").exists()
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_other_ranks_and_other_outputs_are_left_alone(tmp_path, monkeypatch) -> None:
    """Rank 1 of this run may be writing its scratch copy; a rank beyond the world size is a
    leftover of a larger run; siblings of other outputs are not ours."""
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    for name in (
        ".seed0.tmp-rank1",
        ".seed0.tmp-rank2",
        ".seed0.json.tmp-rank0",
        ".seed01.abcdefgh",
    ):
        killed_run_leftover(tmp_path, name)
    with atomic_dir(tmp_path / "seed0") as tmp:
        (tmp / "done").write_text("x")
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == [".seed0.json.tmp-rank0", ".seed0.tmp-rank1", ".seed01.abcdefgh", "seed0"]


def test_a_non_main_rank_clears_only_its_own(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    for name in (".seed0.tmp-rank0", ".seed0.tmp-rank1", ".seed0.k3x_9a2b"):
        killed_run_leftover(tmp_path, name)
    with atomic_dir(tmp_path / "seed0") as tmp:
        (tmp / "done").write_text("x")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".seed0.k3x_9a2b", ".seed0.tmp-rank0"]
