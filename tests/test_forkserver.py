"""The fork server: a command handed to it runs in a forked child as it would in its own
interpreter (arguments, working directory, environment, streams, exit status, signals), and a
command it cannot serve exactly runs in its own interpreter.

The server here preloads a small command module written by the test; `tests/test_e2e.py` runs
the real pipeline through `xstilts repro`, whose stages go through the server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from xstilts import forkserver

COMMANDS = textwrap.dedent(
    """
    import atexit, os, sys, time

    os.environ.setdefault("SET_ON_IMPORT", "yes")  # as torch's inductor names its cache folder

    def run(argv):
        what = argv[0]
        if what == "show":
            print("cwd", os.getcwd())
            print("env", os.environ.get("CHOSEN"), os.environ.get("DVC_STAGE"))
            print("imported", os.environ.get("SET_ON_IMPORT"))
            print("pids", os.getpid(), os.getppid())
            print("to stderr", file=sys.stderr)
            return int(argv[1])
        if what == "atexit":
            atexit.register(lambda: open(argv[1], "w").write("ran"))
            return 0
        if what == "sleep":
            try:
                print("sleeping", flush=True)
                # short sleeps: a signal that lands between two bytecodes just before a long
                # sleep is only handled once that sleep ends (CPython checks for signals when
                # a system call is interrupted, or between bytecodes)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    time.sleep(0.05)
            except KeyboardInterrupt:
                print("interrupted", flush=True)
                return 130
            return 0
        if what == "raise":
            raise RuntimeError("a bug in the command")
        if what == "exit":
            sys.exit(argv[1])
        if what == "die":
            os.kill(os.getpid(), 9)
        return 5
    """
)
CLIENT = (
    "import sys; from xstilts.forkserver import delegate; "
    "code = delegate(sys.argv[1:]); "
    "print('ran here' if code is None else '', end=''); sys.exit(0 if code is None else code)"
)


@pytest.fixture
def server(tmp_path: Path):
    """A server that preloads the test's command module; yields the environment to run
    commands with and the server's pid."""
    (tmp_path / "commands_for_test.py").write_text(COMMANDS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "SET_ON_IMPORT"}
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(tmp_path), str(Path(forkserver.__file__).parents[1])])
    )
    path = str(tmp_path / "socket")
    process = subprocess.Popen(
        [sys.executable, "-m", "xstilts.forkserver", path, "", "commands_for_test:run"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "ready"
    yield {**env, forkserver.SOCKET_ENV: path}, process.pid
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


def command(env: dict[str, str], *argv: str, cwd: Path | None = None, **kwargs):
    return subprocess.run(
        [sys.executable, "-c", CLIENT, *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,
    )


def test_a_command_runs_in_a_child_of_the_server_with_its_own_cwd_env_streams_and_status(
    server, tmp_path: Path
) -> None:
    env, server_pid = server
    work = tmp_path / "work"
    work.mkdir()
    done = command({**env, "DVC_STAGE": "evaluate@x"}, "show", "3", cwd=work)
    assert done.returncode == 3
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert lines["cwd"] == str(work)
    assert lines["env"] == "None evaluate@x"  # DVC's per-command variables pass through
    assert lines["imported"] == "yes"  # what the imports set, as in a fresh interpreter
    pid, parent = map(int, lines["pids"].split())
    assert parent == server_pid and pid != server_pid
    assert done.stderr == "to stderr\n"


def test_exit_paths_give_the_status_a_fresh_interpreter_gives(server) -> None:
    env, _ = server
    raised = command(env, "raise")
    assert raised.returncode == 1
    assert "RuntimeError: a bug in the command" in raised.stderr
    message = command(env, "exit", "no such thing")
    assert (message.returncode, message.stderr) == (1, "no such thing\n")
    killed = command(env, "die")
    assert killed.returncode == 128 + 9


def test_exit_handlers_run_in_the_child(server, tmp_path: Path) -> None:
    env, _ = server
    marker = tmp_path / "marker"
    assert command(env, "atexit", str(marker)).returncode == 0
    assert marker.read_text() == "ran"


def test_a_signal_to_the_command_reaches_the_child(server) -> None:
    env, _ = server
    process = subprocess.Popen(
        [sys.executable, "-c", CLIENT, "sleep"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "sleeping"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 130
    assert process.stdout.read().strip() == "interrupted"
    process.stdout.close()


def test_another_environment_is_refused_and_the_command_runs_in_its_own_interpreter(
    server,
) -> None:
    env, _ = server
    done = command({**env, "OMP_NUM_THREADS": "7"}, "show", "0")
    assert done.stdout == "ran here"
    assert done.stderr.strip() == (
        "xstilts: running in a new interpreter: environment differs from the fork server's "
        "in OMP_NUM_THREADS"
    )


def test_without_a_server_the_command_runs_in_its_own_interpreter(tmp_path: Path) -> None:
    env = {**os.environ, forkserver.SOCKET_ENV: str(tmp_path / "nothing-listens-here")}
    assert forkserver.delegate(["prepare"], env) is None
    assert forkserver.delegate(["prepare"], {}) is None


def test_only_per_command_variables_may_differ() -> None:
    server = {"PATH": "/bin", "HF_HUB_OFFLINE": "1", "PWD": "/a"}
    command_env = {"PATH": "/bin", "PWD": "/b", "SHLVL": "2", "DVC_STAGE": "s", "DVC_ROOT": "/r"}
    assert forkserver.env_differences(server, command_env) == ["HF_HUB_OFFLINE"]


def test_started_serves_xstilts_commands_and_stops_with_the_run(
    monkeypatch, tmp_path: Path
) -> None:
    """The server `xstilts repro` starts: a stage command (`python -m xstilts.cli`) is served
    by it (a usage error comes back from the child as the usual one line and status 2), and
    the server is gone once the run ends."""
    monkeypatch.setattr(forkserver, "GPU_DEVICE_NODES", ())  # as on a CPU machine
    env = dict(os.environ)
    lines: list[str] = []
    with forkserver.started(env, lines.append):
        assert lines == [] and forkserver.SOCKET_ENV in env
        path = env[forkserver.SOCKET_ENV]
        stage = ["intermediate", "--condition", "x", "--seed", "0"]
        done = subprocess.run(
            [sys.executable, "-m", "xstilts.cli", *stage],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert "new interpreter" not in done.stderr
        assert done.stderr.startswith("xstilts: error:")
    assert forkserver.SOCKET_ENV not in env
    assert lines == [
        "xstilts: 1 stage process(es) forked from one interpreter, 0 started their own"
    ]
    deadline = time.monotonic() + 10
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not os.path.exists(path)


def test_a_server_that_cannot_start_says_so_in_one_line(monkeypatch) -> None:
    monkeypatch.setattr(forkserver, "GPU_DEVICE_NODES", ())
    env = {**os.environ, "PYTHONHOME": "/nonexistent"}  # its interpreter cannot start
    lines: list[str] = []
    with forkserver.started(env, lines.append):
        assert forkserver.SOCKET_ENV not in env
    assert len(lines) == 1 and lines[0].startswith("xstilts: no fork server (")


def test_no_server_starts_on_a_machine_with_a_gpu(monkeypatch, tmp_path: Path) -> None:
    node = tmp_path / "nvidiactl"
    node.touch()
    monkeypatch.setattr(forkserver, "GPU_DEVICE_NODES", (str(node),))
    env: dict[str, str] = {}
    lines: list[str] = []
    with forkserver.started(env, lines.append):
        assert env == {}
    assert lines == ["xstilts: a GPU is present: each stage starts its own Python (no fork server)"]
