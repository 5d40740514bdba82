"""A small git + DVC project for the grid's tests: a `.dvc`-tracked input (`seed/`), a matrix
stage and a diamond (`report` reads two branches). `TOY_FAIL=upper` makes `upper` write a part
of its output and fail; `TOY_SLEEP=<stage>:<seconds>` makes a stage sleep first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MAKE = """
import os, pathlib, sys, time
stage = sys.argv[1]
out = pathlib.Path("out"); out.mkdir(exist_ok=True)
def read(name): return (out / name).read_text()
if os.environ.get("TOY_SLEEP", "").startswith(stage + ":"):
    time.sleep(float(os.environ["TOY_SLEEP"].split(":")[1]))
if stage == "words":
    text = " ".join(sorted(p.read_text().strip() for p in pathlib.Path("seed").iterdir()))
    (out / "words.txt").write_text(text)
elif stage == "upper":
    (out / "upper.txt").write_text("partial")
    if os.environ.get("TOY_FAIL") == "upper":
        sys.exit("upper: told to fail")
    (out / "upper.txt").write_text(read("words.txt").upper())
elif stage == "count":
    (out / "count.txt").write_text(str(len(read("words.txt").split())))
elif stage == "shard":
    n = int(sys.argv[2]); (out / f"shard{n}.txt").write_text(read("words.txt").split()[n - 1])
elif stage == "report":
    parts = [read(n) for n in ("upper.txt", "count.txt", "shard1.txt", "shard2.txt")]
    (out / "report.txt").write_text(" | ".join(parts))
"""
DVC_YAML = """stages:
  words:
    cmd: python make.py words
    deps: [make.py, seed]
    outs: [out/words.txt]
  upper:
    cmd: python make.py upper
    deps: [make.py, out/words.txt]
    outs: [out/upper.txt]
  count:
    cmd: python make.py count
    deps: [make.py, out/words.txt]
    outs: [out/count.txt]
  shard:
    matrix:
      n: [1, 2]
    cmd: python make.py shard ${item.n}
    deps: [make.py, out/words.txt]
    outs:
      - out/shard${item.n}.txt
  report:
    cmd: python make.py report
    deps: [make.py, out/upper.txt, out/count.txt, out/shard1.txt, out/shard2.txt]
    outs: [out/report.txt]
"""
STAGES = ["words", "upper", "count", "shard@1", "shard@2", "report"]


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def dvc(args: list[str], cwd: Path) -> str:
    return run([sys.executable, "-m", "dvc", *args], cwd)


def make_toy(repo: Path) -> None:
    """A git + DVC project: `seed/` tracked by seed.dvc, the stages of DVC_YAML; `data/` links
    to the project's sample world (ignored by git and DVC's stages)."""
    repo.mkdir(parents=True)
    (repo / "make.py").write_text(MAKE)
    (repo / "dvc.yaml").write_text(DVC_YAML)
    (repo / ".gitignore").write_text("/.grid\n/out\n/data\n")
    # the project's sample world, which `xstilts plan` sizes the project's params from
    (repo / "data").symlink_to(Path(__file__).resolve().parents[1] / "data")
    (repo / "seed").mkdir()
    for i, word in enumerate(["delta", "alpha", "charlie"]):
        (repo / "seed" / f"{i}.txt").write_text(word)
    run(["git", "init", "-q"], repo)
    dvc(["init", "-q"], repo)
    dvc(["config", "core.analytics", "false"], repo)
    dvc(["add", "-q", "seed"], repo)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost"]
    run([*git, "add", "-A"], repo)
    run([*git, "commit", "-q", "-m", "toy"], repo)
