"""Stage processes forked from one interpreter that has imported torch and transformers already.

A stage of the sample profile spends ~4 s importing torch, transformers and the stage's library
before a few seconds of work, and `dvc repro` starts ~85 of them. `xstilts repro` therefore
starts one server (`serve`) that imports them once and listens on a Unix socket whose path is
in `XSTILTS_FORKSERVER`. A stage command (`python -m xstilts.cli ...`) that finds the variable
hands its arguments, working directory, environment and standard streams to the server
(`delegate`); the server forks a child that runs the command as the stage's process would and
reports the child's exit status, which becomes the command's own. The command's interpreter
only waits, and passes SIGINT, SIGTERM and SIGHUP on to the child.

The child must behave as a fresh `python -m xstilts.cli` would, so the server refuses (and the
command runs in its own interpreter, as without a server) when anything that a fresh process
would read differently is not the same: the interpreter (`sys.prefix`, version), the `xstilts`
package it imports, or any environment variable other than the few a shell or DVC sets per
command (`DVC_*`, `PWD`, `OLDPWD`, `SHLVL`, `_`). Libraries that read the environment when
imported (OMP_NUM_THREADS, HF_HUB_OFFLINE, ...) have thus read the values the command has, and
what the imports wrote to the environment is written to the child's too. The child's exit runs
the `atexit` handlers, as an interpreter's exit does. The server runs nothing but imports, so it
holds one thread when it forks; on a machine with a GPU no server starts. Python code edited
after the server started is not seen by its children: the server serves one `xstilts repro`.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

SOCKET_ENV = "XSTILTS_FORKSERVER"
# What a fresh stage process imports before its own work (the stage modules import torch,
# transformers, accelerate, the tokenizers and the perturbation families).
PRELOAD = (
    "xstilts.cli",
    "xstilts.data.prepared",
    "xstilts.stages.augment",
    "xstilts.stages.base",
    "xstilts.stages.evaluate",
    "xstilts.stages.intermediate",
    "xstilts.stages.lexicons",
    "xstilts.stages.neighbours",
    "xstilts.stages.perturb",
    "xstilts.stages.report",
    "xstilts.stages.target",
)
TARGET = "xstilts.cli:run"  # what a child calls with the command's arguments
PER_COMMAND_ENV = ("PWD", "OLDPWD", "SHLVL", "_")
PER_COMMAND_PREFIX = "DVC_"
STREAMS = (0, 1, 2)
GPU_DEVICE_NODES = ("/dev/nvidiactl", "/dev/kfd", "/dev/dxg")  # NVIDIA, ROCm, WSL
_HEADER = struct.Struct("!I")


def interpreter() -> dict[str, str]:
    """What must match between a command's interpreter and the server's."""
    import xstilts

    return {
        "prefix": sys.prefix,
        "version": sys.version,
        "xstilts": str(Path(xstilts.__file__).resolve()),
    }


def env_differences(server: Mapping[str, str], command: Mapping[str, str]) -> list[str]:
    """The environment variables (names) a command has differently from the server, apart
    from those a shell or DVC sets per command (and the server's own address)."""

    def kept(name: str) -> bool:
        ignored = name in PER_COMMAND_ENV or name == SOCKET_ENV
        return not ignored and not name.startswith(PER_COMMAND_PREFIX)

    names = {n for n in (*server, *command) if kept(n)}
    return sorted(n for n in names if server.get(n) != command.get(n))


# The command's side.


def delegate(argv: Sequence[str], env: Mapping[str, str] | None = None) -> int | None:
    """Run the command in a child of the server named by `XSTILTS_FORKSERVER`; its exit
    status, or None when there is no server or it refuses (the caller then runs the command
    itself). A refusal for a difference says so on stderr in one line."""
    env = dict(os.environ if env is None else env)
    path = env.get(SOCKET_ENV, "").strip()
    if not path:
        return None
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(path)
    except OSError:
        return None
    with conn, _Forwarding() as forwarding:
        umask = os.umask(0)
        os.umask(umask)
        request = {
            "argv": list(argv),
            "cwd": os.getcwd(),
            "env": env,
            "umask": umask,
            "interpreter": interpreter(),
        }
        payload = json.dumps(request).encode()
        try:
            socket.send_fds(conn, [_HEADER.pack(len(payload)) + payload], list(STREAMS))
            reader = conn.makefile("r", encoding="utf-8")
            first = json.loads(reader.readline() or "{}")
        except (OSError, ValueError):
            return None
        if "refused" in first:
            print(f"xstilts: running in a new interpreter: {first['refused']}", file=sys.stderr)
            return None
        if "pid" not in first:
            return None
        forwarding.to(int(first["pid"]))
        line = reader.readline()  # interrupted reads resume (PEP 475): the handler returns
    if not line:
        print("xstilts: the forked stage process ended without an exit status", file=sys.stderr)
        return 1
    status = int(json.loads(line)["status"])
    return 128 - status if status < 0 else status  # as a shell gives a killed process's


class _Forwarding:
    """SIGINT, SIGTERM and SIGHUP go on to the child once its pid is known (those that come
    before wait for it). Without a child they are raised here again, as if never caught."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.pid: int | None = None
        self.pending: list[int] = []
        self.previous: dict[int, object] = {}

    def __enter__(self) -> _Forwarding:
        for signum in self.SIGNALS:
            self.previous[signum] = signal.signal(signum, self._caught)
        return self

    def _caught(self, signum: int, frame) -> None:
        if self.pid is None:
            self.pending.append(signum)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def to(self, pid: int) -> None:
        self.pid = pid
        for signum in self.pending:
            self._caught(signum, None)
        self.pending.clear()

    def __exit__(self, *exc) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        for signum in self.pending:
            signal.raise_signal(signum)


# The server's side.


def serve(path: str, preload: Sequence[str] = PRELOAD, target: str = TARGET) -> None:
    """Import `preload`, then fork a child for each command that connects to `path`, until
    SIGTERM, SIGINT or the end of the process that started it. Prints `ready` on stdout once
    it accepts commands."""
    before = dict(os.environ)
    for name in preload:
        importlib.import_module(name)
    run = _resolve(target)
    # What the imports did to the environment (torch's inductor names its cache folder): a
    # fresh interpreter's imports would do the same to the command's environment.
    imported = {k: v for k, v in os.environ.items() if before.get(k) != v}
    removed = sorted(set(before) - set(os.environ))
    baseline = {
        "env": before,
        "imported": imported,
        "removed": removed,
        "interpreter": interpreter(),
    }
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    stopping = False

    def stop(signum: int, frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    wake_read, wake_write = socket.socketpair()
    wake_write.setblocking(False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.set_wakeup_fd(wake_write.fileno(), warn_on_full_buffer=False)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    children: dict[int, socket.socket] = {}
    counts = {"forked": 0, "refused": 0}
    parent = os.getppid()
    print("ready", flush=True)
    while not stopping and os.getppid() == parent:  # ends with the run that started it
        for key, _ in selector.select(timeout=1.0):
            if key.fileobj is wake_read:
                with contextlib.suppress(BlockingIOError):
                    wake_read.recv(4096)
            elif not stopping:
                conn, _ = listener.accept()
                forked = _answer(conn, run, baseline, children, (listener, wake_read, wake_write))
                counts["forked" if forked else "refused"] += 1
        _reap(children)
    for conn in children.values():
        conn.close()
    print(json.dumps(counts), flush=True)


def _resolve(target: str) -> Callable[[list[str]], int]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _answer(
    conn: socket.socket,
    run: Callable[[list[str]], int],
    baseline: dict,
    children: dict[int, socket.socket],
    server_sockets: tuple[socket.socket, ...],
) -> bool:
    """Read one request; refuse it, or fork its child and remember the connection (True)."""
    fds: list[int] = []
    try:
        request, fds = _receive(conn)
        refusal = _refusal(request, baseline)
        if refusal:
            _send(conn, {"refused": refusal})
            conn.close()
            return False
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child never returns
            for sock in (*server_sockets, *children.values()):
                sock.close()
            env = {**request["env"], **baseline["imported"]}
            for name in baseline["removed"]:
                env.pop(name, None)
            _child(run, {**request, "env": env}, fds, conn)
        children[pid] = conn
        _send(conn, {"pid": pid})
        return True
    except (OSError, ValueError) as err:
        with contextlib.suppress(OSError):
            _send(conn, {"refused": f"bad request ({err})"})
        conn.close()
        return False
    finally:
        for fd in fds:
            os.close(fd)


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 1 << 20, len(STREAMS))
    if len(data) < _HEADER.size:
        raise ValueError("no header")
    (size,) = _HEADER.unpack_from(data)
    payload = bytearray(data[_HEADER.size :])
    while len(payload) < size:
        chunk = conn.recv(size - len(payload))
        if not chunk:
            raise ValueError("request cut short")
        payload += chunk
    if len(fds) != len(STREAMS):
        for fd in fds:
            os.close(fd)
        raise ValueError("standard streams missing")
    return json.loads(payload), fds


def _refusal(request: dict, baseline: dict) -> str | None:
    if request.get("interpreter") != baseline["interpreter"]:
        return "another Python or another copy of xstilts than the fork server's"
    differing = env_differences(baseline["env"], request.get("env", {}))
    if differing:
        return f"environment differs from the fork server's in {', '.join(differing)}"
    return None


def _send(conn: socket.socket, message: dict) -> None:
    conn.sendall((json.dumps(message) + "\n").encode())


def _reap(children: dict[int, socket.socket]) -> None:
    """Report the exit status of every child that has ended."""
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is not None:
            with contextlib.suppress(OSError):
                _send(conn, {"status": os.waitstatus_to_exitcode(status)})
            conn.close()


def _child(
    run: Callable[[list[str]], int], request: dict, fds: list[int], conn: socket.socket
) -> None:
    """Become the command's process, run it, and exit with its status."""
    code = 1
    try:
        conn.close()
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setpgid(0, 0)  # a terminal's Ctrl-C reaches the command, which passes it on once
        for fd, stream in zip(fds, STREAMS, strict=True):
            os.dup2(fd, stream)
            os.close(fd)
        _reopen_streams()
        os.chdir(request["cwd"])
        os.umask(request["umask"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [sys.argv[0], *request["argv"]]
        code = run(list(request["argv"]))
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if not isinstance(done.code, int | None):
            print(done.code, file=sys.stderr)
    except KeyboardInterrupt:
        traceback.print_exc()
        code = 128 + signal.SIGINT
    except BaseException:  # reported as a fresh interpreter reports it
        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(BaseException):
            import atexit

            atexit._run_exitfuncs()
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 1)


def _reopen_streams() -> None:
    """Text streams over the command's descriptors, buffered as a fresh interpreter's."""
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED")) or sys.flags.unbuffered
    for name, fd in (("stdin", 0), ("stdout", 1), ("stderr", 2)):
        old = getattr(sys, name)
        line = fd == 2 or os.isatty(fd)
        stream = open(  # noqa: SIM115 - lives as long as the process
            fd,
            "r" if fd == 0 else "w",
            buffering=1 if line and fd else -1,
            encoding=getattr(old, "encoding", None) or "utf-8",
            errors=getattr(old, "errors", None) or "strict",
            closefd=False,
        )
        if fd and unbuffered:
            stream.reconfigure(write_through=True)
        setattr(sys, name, stream)


# Starting and stopping a server around a run.


@contextlib.contextmanager
def started(env: dict[str, str], echo: Callable[[str], None] = print) -> Iterator[None]:
    """A server for commands run with `env` (to which it adds `XSTILTS_FORKSERVER`), stopped
    on exit with a line that counts the commands it forked and refused. A server that does
    not start leaves `env` as it was (the commands then start their own interpreters) and
    says why in one line."""
    if gpu_present():
        echo("xstilts: a GPU is present: each stage starts its own Python (no fork server)")
        yield
        return
    folder = tempfile.mkdtemp(prefix="xstilts-fork-")
    path = os.path.join(folder, "socket")
    env[SOCKET_ENV] = path
    with open(os.path.join(folder, "stderr"), "w+", encoding="utf-8") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "xstilts.forkserver", path],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            start_new_session=True,  # a terminal's Ctrl-C stops the run, which stops the server
        )
        ready = _ready(process)
        try:
            if not ready:
                env.pop(SOCKET_ENV)
                errors.seek(0)
                last = errors.read().strip().splitlines()[-1:] or ["it printed nothing"]
                echo(f"xstilts: no fork server ({last[0]}); each stage starts its own Python")
            yield
        finally:
            env.pop(SOCKET_ENV, None)
            counts = _stop(process)
            if ready and counts is not None:
                echo(
                    f"xstilts: {counts['forked']} stage process(es) forked from one "
                    f"interpreter, {counts['refused']} started their own"
                )
    for name in ("socket", "stderr"):
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(folder, name))
    with contextlib.suppress(OSError):
        os.rmdir(folder)


def gpu_present() -> bool:
    """Whether the machine has a GPU driver's device node. A process that has touched the CUDA
    driver cannot fork children that use it, and a GPU stage's minutes dwarf its imports, so
    GPU machines start no server (checked without importing torch or calling the driver)."""
    return any(os.path.exists(node) for node in GPU_DEVICE_NODES)


def _ready(process: subprocess.Popen) -> bool:
    """Whether the server says `ready` (a line on its stdout) before it ends."""
    assert process.stdout is not None
    return process.stdout.readline().strip() == "ready"


def _stop(process: subprocess.Popen) -> dict[str, int] | None:
    """Stop the server; the counts it prints as it ends (None if it printed none)."""
    if process.poll() is None:
        process.terminate()
    try:
        out, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) not in (1, 3):
        print("usage: python -m xstilts.forkserver SOCKET [PRELOAD,... TARGET]", file=sys.stderr)
        return 2
    if len(argv) == 3:
        preload = tuple(filter(None, argv[1].split(",")))
        serve(argv[0], preload, argv[2])
    else:
        serve(argv[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
