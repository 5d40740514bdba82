"""`xstilts repro`: the graph's independent chains of stages side by side. The chains cover
exactly the stages below the report, each reads exactly the chains whose outputs its stages
depend on, a chain starts only after every chain it reads, the one with the most work behind it
first, and a failing chain stops the run with its output shown.
(The end-to-end test runs the sample pipeline through it with two jobs.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from xstilts.config import load_params
from xstilts.lanes import Chain, _run_chains, chains, work_behind

from .conftest import REPO


def test_the_chains_are_the_graph_below_the_report() -> None:
    params = load_params(REPO / "params.yaml")
    dvc = str(Path(sys.executable).parent / "dvc")  # DVC's own names of the matrix stages
    listed = subprocess.run(
        [dvc, "stage", "list", "--name-only"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    named = [stage for chain in chains(params) for stage in chain.stages]
    assert len(named) == len(set(named))
    assert set(listed) == {"report", *named}


def test_each_chain_waits_for_the_chains_that_write_its_stages_deps_and_no_other() -> None:
    """The chains' order is DVC's: every chain whose outputs a chain's stages read is among the
    chains it waits for, directly or through them, and each chain it waits for directly writes
    something its stages read."""
    import yaml

    params = load_params(REPO / "params.yaml")
    found = {chain.name: chain for chain in chains(params)}
    owner = {stage: chain.name for chain in found.values() for stage in chain.stages}
    lock = yaml.safe_load((REPO / "dvc.lock").read_text())["stages"]
    writer = {out["path"]: name for name, stage in lock.items() for out in stage.get("outs", [])}

    def written_by(path: str) -> str | None:
        """The stage whose output is `path` or a folder holding it (RS-DA's training copies
        are files of the augment stage's folder)."""
        return next((writer[out] for out in writer if path == out or path.startswith(f"{out}/")),
                    None)  # fmt: skip

    def upstream(name: str) -> set[str]:
        return {name}.union(*(upstream(before) for before in found[name].after))

    for chain in found.values():
        read = {
            owner[stage]
            for stage in (
                written_by(dep["path"]) for name in chain.stages for dep in lock[name]["deps"]
            )
            if stage is not None
        } - {chain.name}
        assert set(chain.after) <= read, chain.name
        assert read <= upstream(chain.name), chain.name


def test_each_target_chain_follows_its_condition_and_costs_come_from_the_plan() -> None:
    params = load_params(REPO / "params.yaml")
    found = {chain.name: chain for chain in chains(params)}
    for condition in params.conditions:
        assert found[condition].after == ("prepare", "base")
        for task in params.targets:
            chain = found[f"{condition}/{task}"]
            assert chain.after == (condition, f"perturb/{task}")
            assert chain.stages == (
                f"target@{condition}-{task}-0",
                f"evaluate@{condition}-{task}-0",
            )
    # RACE's four-way inputs make its intermediate run the longest of the single tasks
    assert found["race"].cost > max(found["qqp"].cost, found["mnli"].cost, found["none"].cost)


def _fake_repro(
    log: Path, fail: str | None = None, pause: float = 0.05, slow: str | None = None
) -> list[str]:
    """A stand-in for `dvc repro --single-item`: logs start and end of its stages (the `slow`
    stage takes ten pauses)."""
    script = (
        "import sys, time\n"
        f"log = open({str(log)!r}, 'a')\n"
        "stages = sys.argv[1:]\n"
        "log.write(f'start {stages[0]} {time.monotonic()}\\n'); log.flush()\n"
        f"time.sleep({pause} * (10 if {slow!r} in stages else 1))\n"
        f"if {fail!r} in stages: print('ERROR: failed to reproduce', stages[0]); sys.exit(3)\n"
        "log.write(f'end {stages[0]} {time.monotonic()}\\n')\n"
    )
    return [sys.executable, "-c", script]


def _events(log: Path) -> list[tuple[str, str, float]]:
    rows = [line.split() for line in log.read_text().splitlines()]
    return sorted(((kind, stage, float(t)) for kind, stage, t in rows), key=lambda e: e[2])


CHAINS = [
    Chain("a", ("a",), (), 1.0),
    Chain("b", ("b",), (), 5.0),
    Chain("a/x", ("a-x",), ("a",), 2.0),
    Chain("b/x", ("b-x",), ("b",), 2.0),
]


def test_a_chain_starts_after_the_one_it_reads_the_most_work_behind_it_first(
    tmp_path: Path,
) -> None:
    log, lines = tmp_path / "log", []
    assert _run_chains(CHAINS, 1, _fake_repro(log), {}, lines.append) == 0
    assert [stage for kind, stage, _ in _events(log) if kind == "start"] == ["b", "a", "a-x", "b-x"]
    assert len(lines) == 4 and all("up to date" in line for line in lines)


def test_the_work_behind_a_chain_counts_every_chain_waiting_on_it_once() -> None:
    todo = [
        Chain("p", ("p",), (), 1.0),
        Chain("q", ("q",), (), 2.0),
        Chain("a", ("a",), ("p",), 4.0),
        Chain("a/x", ("a-x",), ("a", "q"), 8.0),
        Chain("a/y", ("a-y",), ("a", "p"), 16.0),
    ]
    assert work_behind(todo) == {"p": 29.0, "q": 10.0, "a": 28.0, "a/x": 8.0, "a/y": 16.0}


def test_a_chain_waits_for_every_chain_it_reads(tmp_path: Path) -> None:
    todo = [
        Chain("slow", ("slow",), (), 1.0),
        Chain("fast", ("fast",), (), 1.0),
        Chain("both", ("both",), ("slow", "fast"), 1.0),
    ]
    log = tmp_path / "log"
    assert _run_chains(todo, 2, _fake_repro(log, slow="slow"), {}, lambda line: None) == 0
    at = {(kind, stage): t for kind, stage, t in _events(log)}
    assert at["start", "both"] >= max(at["end", "slow"], at["end", "fast"])


def test_chains_run_side_by_side(tmp_path: Path) -> None:
    log = tmp_path / "log"
    assert _run_chains(CHAINS, 2, _fake_repro(log, pause=1.0), {}, lambda line: None) == 0
    at = {(kind, stage): t for kind, stage, t in _events(log)}
    assert at["start", "a"] < at["end", "b"] and at["start", "b"] < at["end", "a"]
    assert at["start", "a-x"] >= at["end", "a"] and at["start", "b-x"] >= at["end", "b"]


def test_a_failing_chain_stops_new_starts_and_shows_its_output(tmp_path: Path) -> None:
    todo = [Chain("a", ("a",), (), 2.0), Chain("a/x", ("a-x",), ("a",), 1.0)]
    log, lines = tmp_path / "log", []
    assert _run_chains(todo, 2, _fake_repro(log, fail="a"), {}, lines.append) == 1
    assert "ERROR: failed to reproduce a" in lines[0]
    assert lines[-1] == "xstilts repro: a failed (exit status 3)"
    assert "a-x" not in log.read_text()


def test_zero_jobs_is_refused_in_one_line(capsys) -> None:
    from xstilts.cli import main

    assert main(["--params", str(REPO / "params.yaml"), "repro", "--jobs", "0"]) == 2
    assert capsys.readouterr().err == "xstilts: error: --jobs must be at least 1, got 0\n"
