"""DVC run through xstilts.dvc_lockfile writes the lock file that DVC writes."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dvc.utils import serialize, strictyaml
from dvc.utils.serialize import _yaml

from xstilts import dvc_lockfile

ROOT = Path(__file__).resolve().parents[1]
DVC_DUMP = _yaml._dump
DVC_PARSE_FOR_UPDATE = _yaml.parse_yaml_for_update
DVC_PARSE = _yaml.parse_yaml


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The faster rewrite installed for the test, DVC's own functions back afterwards."""
    for name in ("parse_yaml_for_update", "_dump", "parse_yaml"):
        monkeypatch.setattr(_yaml, name, getattr(_yaml, name))
    for module in (serialize, strictyaml):
        monkeypatch.setattr(module, "parse_yaml", module.parse_yaml)
    assert dvc_lockfile.install()
    assert dvc_lockfile.install(), "installing twice is a no-op"
    assert serialize.parse_yaml == _yaml.parse_yaml == strictyaml.parse_yaml


def _rewritten(text: str, change) -> tuple[str, str]:
    """(what the installed rewrite writes, what DVC's own writes) after `change(data)`."""
    data, own_data = _yaml.parse_yaml_for_update(text, "dvc.lock"), DVC_PARSE_FOR_UPDATE(text, "")
    assert type(data) is dict, "the lock file is parsed by the safe loader"
    fast, own = io.StringIO(), io.StringIO()
    change(data)
    _yaml._dump(data, fast)
    change(own_data)
    DVC_DUMP(own_data, own)
    return fast.getvalue(), own.getvalue()


def _new_stage(data: dict) -> None:
    entry = copy.deepcopy(data["stages"]["report"])
    entry["cmd"] = "python -m xstilts.cli retrieve --condition multi+mlm --task tatoeba --seed 0"
    data["stages"]["retrieve@multi+mlm-tatoeba-0"] = entry


def _changed_stage(data: dict) -> None:
    data["stages"]["base"]["outs"][0]["md5"] = "0" * 32 + ".dir"
    data["stages"]["evaluate@none-xnli-0"]["params"]["params.yaml"]["robustness"]["alpha"] = 1e-8


def _removed_stage(data: dict) -> None:
    del data["stages"]["lexicons"]


def _unchanged(data: dict) -> None:
    pass


@pytest.mark.parametrize("change", [_unchanged, _new_stage, _changed_stage, _removed_stage])
def test_the_committed_lock_is_rewritten_as_dvc_rewrites_it(installed: None, change) -> None:
    text = (ROOT / "dvc.lock").read_text(encoding="utf-8")
    fast, own = _rewritten(text, change)
    assert fast == own
    assert (fast == text) == (change is _unchanged)


def test_a_hand_laid_out_entry_keeps_its_layout_as_in_dvc(installed: None) -> None:
    text = "schema: '2.0'\nstages:\n  a: {cmd: x}\n  b:\n    cmd: y\n"
    fast, own = _rewritten(text, lambda data: data["stages"]["b"].update(cmd="z"))
    assert fast == own == "schema: '2.0'\nstages:\n  a: {cmd: x}\n  b:\n    cmd: z\n"


def test_other_files_keep_the_round_trip_parse(installed: None) -> None:
    parsed = _yaml.parse_yaml_for_update("# kept\nstages: {}\n", "dvc.yaml")
    assert type(parsed) is not dict and "stages" in parsed
    out = io.StringIO()
    _yaml._dump(parsed, out)
    assert out.getvalue().startswith("# kept")


def _repository_folder(tmp_path: Path) -> Path:
    """A folder laid out as a DVC repository's (its `.dvc/tmp`), holding the committed lock."""
    (tmp_path / ".dvc" / "tmp").mkdir(parents=True)
    shutil.copy(ROOT / "dvc.lock", tmp_path / "dvc.lock")
    return tmp_path / "dvc.lock"


def test_a_lock_text_parsed_once_is_read_back_from_its_json(installed, tmp_path, monkeypatch):
    """The second parse of the same text reads the kept JSON (the YAML parser is not called):
    the same data; a text with one byte changed is parsed anew, never served stale data."""
    lock = _repository_folder(tmp_path)
    text = lock.read_text(encoding="utf-8")
    first = _yaml.parse_yaml(text, str(lock))
    assert first == DVC_PARSE(text, "", typ="safe")
    calls = []
    rewriter = _yaml.parse_yaml.__self__
    monkeypatch.setattr(rewriter, "parse", lambda *a, **k: calls.append(a) or DVC_PARSE(*a, **k))
    assert strictyaml.parse_yaml(text, str(lock)) == first and not calls
    assert _yaml.parse_yaml_for_update(text, str(lock)) == first and not calls
    changed = text.replace("schema: '2.0'", "schema: '2.1'", 1)
    assert _yaml.parse_yaml(changed, str(lock))["schema"] == "2.1" and len(calls) == 1
    assert _yaml.parse_yaml("# x\na: 1\n", "dvc.yaml", typ="rt")["a"] == 1  # other files


def test_a_rewrite_keeps_the_data_of_the_text_it_wrote(installed, tmp_path) -> None:
    """After a stage's entry changes, the kept data is what the safe loader makes of the new
    text, under the new text's hash."""
    lock = _repository_folder(tmp_path)
    data = _yaml.parse_yaml_for_update(lock.read_text(encoding="utf-8"), str(lock))
    _changed_stage(data)
    out = io.StringIO()
    _yaml._dump(data, out)
    written = out.getvalue()
    kept = json.loads((tmp_path / dvc_lockfile.PARSED_FILE).read_text(encoding="utf-8"))
    assert kept["sha256"] == hashlib.sha256(written.encode()).hexdigest()
    assert kept["data"] == DVC_PARSE(written, "", typ="safe")


def test_an_unfamiliar_dvc_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def parse_yaml_for_update(text, path, something_new):
        return {}

    monkeypatch.setattr(_yaml, "parse_yaml_for_update", parse_yaml_for_update)
    monkeypatch.setattr(_yaml, "_dump", _yaml._dump)
    assert not dvc_lockfile.install()
    assert _yaml.parse_yaml_for_update is parse_yaml_for_update
    assert _yaml._dump is DVC_DUMP


PIPELINE = """\
stages:
  count:
    matrix:
      n: [1, 2]
    cmd: echo ${words} ${item.n} > out${item.n}.txt
    deps: [input.txt]
    params: [words]
    outs:
      - out${item.n}.txt
  join:
    cmd: cat out1.txt out2.txt input.txt > joined.txt
    deps: [out1.txt, out2.txt, input.txt]
    outs: [joined.txt]
"""


def _repository(path: Path) -> None:
    path.mkdir()
    (path / "dvc.yaml").write_text(PIPELINE, encoding="utf-8")
    (path / "params.yaml").write_text("words: 3\n", encoding="utf-8")
    (path / "input.txt").write_text("ein\n", encoding="utf-8")
    for command in (["git", "init", "-q"], [sys.executable, "-m", "dvc", "init", "-q"]):
        subprocess.run(command, cwd=path, check=True)


def _run(command: list[str], path: Path) -> None:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(command, cwd=path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="DVC needs git")
def test_runs_write_the_lock_that_dvc_writes(tmp_path: Path) -> None:
    plain, through = tmp_path / "plain", tmp_path / "through"
    for path in (plain, through):
        _repository(path)
    steps = (["repro", "--single-item", "count@2"], ["repro"], ["repro", "-f", "count@1"])
    for step in steps:
        _run([sys.executable, "-m", "dvc", *step], plain)
        _run(dvc_lockfile.command(step), through)
        lock = (plain / "dvc.lock").read_bytes()
        assert lock and (through / "dvc.lock").read_bytes() == lock
    for path in (plain, through):
        (path / "input.txt").write_text("zwei\n", encoding="utf-8")
        (path / "params.yaml").write_text("words: 4\n", encoding="utf-8")
    _run([sys.executable, "-m", "dvc", "repro"], plain)
    _run(dvc_lockfile.command(["repro"]), through)
    assert (through / "dvc.lock").read_bytes() == (plain / "dvc.lock").read_bytes()
    assert (through / "joined.txt").read_text() == "4 1\n4 2\nzwei\n"
    # the data kept beside the repository is the last lock's, and a run finds nothing to redo
    kept = json.loads((through / dvc_lockfile.PARSED_FILE).read_text(encoding="utf-8"))
    text = (through / "dvc.lock").read_text(encoding="utf-8")
    assert kept["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert kept["data"] == DVC_PARSE(text, "", typ="safe")
    _run(dvc_lockfile.command(["repro"]), through)
    assert (through / "dvc.lock").read_text(encoding="utf-8") == text
