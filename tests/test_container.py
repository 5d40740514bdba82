"""The image holds every input the pipeline reads: each dependency of each stage in dvc.yaml
is produced by a stage, copied into the image (tracked by git and not left out by
.dockerignore), or restored at build time from a `.dvc` file the Dockerfile pulls. dvc.yaml is
the same for every profile (params.yaml only sizes it), so this covers `xstilts profile full &&
dvc repro` in the container as well as the sample run."""

from __future__ import annotations

import fnmatch
import re
import shlex
import subprocess

import pytest
import yaml

from .conftest import REPO


def _dockerignore() -> list[str]:
    patterns = []
    for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            assert not line.startswith("!"), "negated .dockerignore patterns are not handled here"
            patterns.append(line.rstrip("/"))
    return patterns


def _ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore leaves `path` (or a folder above it) out of the build context."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        if pattern.startswith("**/"):
            tail = pattern[3:]
            if any(fnmatch.fnmatch(part, tail) for part in parts):
                return True
        elif any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes):
            return True
    return False


def _run_commands() -> list[list[str]]:
    """The shell commands of the Dockerfile's RUN instructions after its `COPY . .`, in order."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    copy = next(i for i, line in enumerate(lines) if re.match(r"COPY (--\S+ )*\. \.$", line))
    commands = []
    for line in lines[copy + 1 :]:
        if line.startswith("RUN "):
            commands += [shlex.split(c) for c in line.removeprefix("RUN ").split("&&")]
    return commands


def _make_recipe(target: str) -> list[list[str]]:
    lines = (REPO / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(shlex.split(line.strip()))
    return recipe


def pulled_at_build() -> set[str]:
    """Paths the Dockerfile restores with `dvc pull <file>.dvc` (directly or via `make`)."""
    commands = []
    for command in _run_commands():
        if command[:1] == ["make"]:
            for target in command[1:]:
                commands += _make_recipe(target)
        commands.append(command)
    paths = set()
    for command in commands:
        if command[:2] == ["dvc", "pull"]:
            for target in command[2:]:
                assert target.endswith(".dvc"), f"pull a .dvc file, not {target}"
                meta = yaml.safe_load((REPO / target).read_text(encoding="utf-8"))
                paths |= {out["path"] for out in meta["outs"]}
    return paths


def _stage_paths(stage: dict, keys: tuple[str, ...]) -> list[str]:
    paths = []
    for key in keys:
        for entry in stage.get(key, []):
            paths += list(entry) if isinstance(entry, dict) else [entry]
    return paths


def _within(path: str, roots: set[str]) -> bool:
    return any(path == r or path.startswith(r + "/") for r in roots)


def test_every_stage_input_is_in_the_image_or_produced_by_a_stage() -> None:
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    outs = {p for s in stages.values() for p in _stage_paths(s, ("outs", "metrics", "plots"))}
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    patterns, pulled = _dockerignore(), pulled_at_build()
    missing = []
    for name, stage in stages.items():
        for dep in _stage_paths(stage, ("deps",)):
            produced = _within(dep, outs) or any(o.startswith(dep + "/") for o in outs)
            copied = any(_within(f, {dep}) for f in tracked) and not _ignored(dep, patterns)
            if not (produced or copied or _within(dep, pulled)):
                missing.append(f"{name}: {dep}")
    assert not missing, f"inputs neither produced by a stage nor in the image: {missing}"


def test_the_image_keeps_only_the_pulled_files() -> None:
    """The build pulls the sample world with the default cache, then drops that cache: the
    image's DVC cache is the volume configured after it."""
    commands = _run_commands()
    pulls = [i for i, c in enumerate(commands) if c in (["make", "data"], ["dvc", "pull"])]
    assert pulls, "the Dockerfile pulls no data"
    drop = next(c for c in commands[pulls[0] :] if c[:2] == ["rm", "-rf"])
    assert ".dvc/cache" in drop
    volume = next(i for i, c in enumerate(commands) if c[:3] == ["dvc", "cache", "dir"])
    assert volume > pulls[0]


@pytest.mark.parametrize(
    ("path", "ignored"),
    [("data", True), ("data/corpus", True), ("src/x/__pycache__/a.pyc", True), ("src", False)],
)
def test_dockerignore_matching(path: str, ignored: bool) -> None:
    assert _ignored(path, _dockerignore()) is ignored
