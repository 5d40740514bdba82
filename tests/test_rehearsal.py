"""The rehearsal of the full profile (`xstilts rehearse`): its stand-in hub answers like the hub,
its overlay is validated like a profile, and the whole full-profile graph runs against it,
offline, without touching the repository it was started from."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from xstilts import forkserver
from xstilts.errors import XstiltsError
from xstilts.perturb.lexicon import MUSE_BASE_ENV, fetch_muse
from xstilts.rehearsal import overlay
from xstilts.rehearsal.hub_server import StandInServer
from xstilts.rehearsal.repos import write_muse

from .conftest import REPO

REVISION = "1" * 40


@pytest.fixture
def stand_in(tmp_path: Path):
    """A stand-in with one dataset repository at one revision and two MUSE dictionaries."""
    base = tmp_path / "hub" / "datasets" / "org" / "data" / REVISION
    base.mkdir(parents=True)
    (base / "README.md").write_text("# data\n", encoding="utf-8")
    write_muse(tmp_path / "hub", ["fr", "sw", "zh"])
    with StandInServer(tmp_path / "hub") as server:
        yield server


def test_the_stand_in_answers_unknown_repos_revisions_and_files_like_the_hub(
    stand_in, tmp_path
) -> None:
    """huggingface_hub's own client turns its answers into the hub's typed errors."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import (
        EntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    api = HfApi(endpoint=stand_in.url)
    assert api.dataset_info("org/data", revision=REVISION).sha == REVISION
    with pytest.raises(RevisionNotFoundError):
        api.dataset_info("org/data", revision="0" * 40)
    with pytest.raises(RevisionNotFoundError):  # only pinned commits: no branches
        api.dataset_info("org/data")
    with pytest.raises(RepositoryNotFoundError):
        api.dataset_info("org/gone", revision=REVISION)
    with pytest.raises(EntryNotFoundError):
        api.hf_hub_download(
            "org/data", "gone.parquet", repo_type="dataset", revision=REVISION,
            cache_dir=tmp_path / "cache",
        )  # fmt: skip
    readme = api.hf_hub_download(
        "org/data", "README.md", repo_type="dataset", revision=REVISION, cache_dir=tmp_path / "c"
    )
    assert Path(readme).read_text(encoding="utf-8") == "# data\n"
    assert Path(readme).parent.name == REVISION  # X-Repo-Commit: the snapshot's name


def test_muse_languages_the_stand_in_lacks_answer_404(stand_in, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(MUSE_BASE_ENV, f"{stand_in.url}/muse")
    assert fetch_muse(["fr", "sw", "zh"], tmp_path / "lexicons", timeout=5.0) == ["sw"]
    assert sorted(p.name for p in (tmp_path / "lexicons").iterdir()) == ["en-fr.txt", "en-zh.txt"]


def test_the_overlay_only_resizes_the_full_profile() -> None:
    """The rehearsal's params are full.yaml's but for the overlay's keys, and validate."""
    full = yaml.safe_load((REPO / "profiles/full.yaml").read_text(encoding="utf-8"))
    rehearsal = overlay.rehearsal_params(REPO)
    assert rehearsal["profile"] == "full" and rehearsal["targets"] == full["targets"]
    assert rehearsal["base"] == full["base"] and rehearsal["data"] == full["data"]
    for name, tasks in rehearsal["conditions"].items():
        assert full["conditions"][name] == tasks
    kept = {t for tasks in rehearsal["conditions"].values() for t in tasks}
    every = {t for tasks in full["conditions"].values() for t in tasks}
    assert kept == every - {"mlm"}  # every task (multi+mlm's masked LM: see the overlay)
    assert overlay.stand_in_sizes(REPO).max_position_embeddings >= 514


def test_a_bad_overlay_is_one_line(tmp_path) -> None:
    (tmp_path / "profiles").mkdir()
    shutil.copy(REPO / "profiles/full.yaml", tmp_path / "profiles/full.yaml")
    bad = {"params": {"intermediate": {"epocs": 1}}}
    (tmp_path / "profiles/rehearsal.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    with pytest.raises(XstiltsError, match=r"unknown key 'intermediate.epocs'"):
        overlay.rehearsal_params(tmp_path)
    (tmp_path / "profiles/rehearsal.yaml").write_text("conditions: [none, nope]\n")
    with pytest.raises(XstiltsError, match=r"conditions: \['nope'\] not in"):
        overlay.rehearsal_params(tmp_path)


def offline_prefix() -> list[str]:
    """A new network namespace with only loopback (`unshare -rn`, `lo` brought up), where this
    machine allows it."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if not (unshare and ip):
        return []
    prefix = [unshare, "-rn", "sh", "-c", f'{ip} link set lo up && exec "$@"', "offline"]
    if subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        return []
    return prefix


OUTPUTS = ("prepared", "models", "lexicons", "perturbed", "predictions", "metrics", "reports")


def fingerprint(repo: Path) -> dict[str, object]:
    """What the rehearsal must leave alone: params.yaml, dvc.lock, git's view of the tree and
    which pipeline outputs exist."""
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True
    ).stdout
    files = {
        name: hashlib.sha256((repo / name).read_bytes()).hexdigest()
        for name in ("params.yaml", "dvc.lock")
    }
    outputs = [name for name in OUTPUTS if (repo / name).exists()]
    return {**files, "status": status, "outputs": outputs}


@pytest.mark.e2e
def test_the_rehearsal_runs_the_full_profile_graph_offline() -> None:
    """`xstilts rehearse` with only loopback: every stage of the full profile's graph at the
    overlay's conditions, none failing, the report written, the bad-input probes answered in
    one line each; the repository it ran from is untouched."""
    params = overlay.rehearsal_params(REPO)
    conditions, targets = len(params["conditions"]), len(params["targets"])
    rsda = params["rsda"]
    robust = 2 + 2 * len(rsda["conditions"]) * len(rsda["tasks"])  # neighbours, augment
    assert robust == 4  # one RS-DA condition on one target
    retrieval = 1 + conditions  # retrieval_sets (Tatoeba from the stand-in), each retrieve
    expected = 4 + conditions + 2 * conditions * targets + targets + robust + retrieval
    # prepare base lexicons report, each condition's intermediate, target and evaluate stages,
    # perturb
    before = fingerprint(REPO)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    command = [*offline_prefix(), sys.executable, "-m", "xstilts.cli", "rehearse"]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    assert f"{expected} stages run, 0 failed" in out, out[-4000:]
    assert "stage retrieval_sets" in out and "stage retrieve@multi-0" in out
    if not forkserver.gpu_present():
        forked = f"xstilts: {expected} stage process(es) forked from one interpreter, 0 started"
        assert forked in out, out[-4000:]
    assert out.count("bad-input probe passed") == 5, out[-4000:]
    assert "MUSE dictionaries the stand-in lacks (404): ht, qu, sw, ur" in out
    assert fingerprint(REPO) == before
