"""A real one-node Slurm cluster on localhost for the grid's tests: Debian's slurm-wlm and
munge, started in a scratch folder (its own munge socket, ports and state) and stopped after.

Two count-only "GPUs" stand on /dev/null and /dev/zero (Slurm's GPU plugin wants a device file
per GPU and sets CUDA_VISIBLE_DEVICES from them), so jobs ask for `--gres=gpu:1` as on a real
cluster. slurmd must run as root to start jobs; where Slurm is missing or this is not root the
tests that need the cluster are skipped with that reason (CI installs Slurm and runs as root).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
FAKE_GPUS = ("/dev/null", "/dev/zero")


def unavailable() -> str | None:
    """Why no local cluster can start here (None: it can)."""
    missing = [d for d in (*DAEMONS, "sbatch") if shutil.which(d) is None]
    if missing:
        found = ", ".join(missing)
        return f"Slurm is not installed ({found} missing: apt-get install slurm-wlm munge)"
    if os.geteuid() != 0:
        return "slurmd must run as root to start jobs"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024 * 8 // 10
    return 4096


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class LocalSlurm:
    """`with LocalSlurm(folder) as env:` a running cluster; `env` is this environment with
    SLURM_CONF, which is also set in `os.environ` meanwhile (for the Slurm commands this
    process runs)."""

    def __init__(self, root: Path, cpus: int = 2, partition: str = "grid") -> None:
        self.root, self.cpus, self.partition = root, cpus, partition
        self.env = {**os.environ, "SLURM_CONF": str(root / "slurm.conf")}

    def __enter__(self) -> dict[str, str]:
        try:
            self._configure()
            self._start()
        except BaseException:
            self.stop()
            raise
        self._saved = os.environ.get("SLURM_CONF")
        os.environ["SLURM_CONF"] = self.env["SLURM_CONF"]
        return self.env

    def __exit__(self, *exc: object) -> None:
        os.environ.pop("SLURM_CONF", None)
        if self._saved is not None:
            os.environ["SLURM_CONF"] = self._saved
        self.stop()

    def _configure(self) -> None:
        root = self.root
        for name in ("munge", "state", "spool", "log"):
            (root / name).mkdir(parents=True, exist_ok=True)
        (root / "munge").chmod(0o700)
        key = root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        settings = {
            "ClusterName": "xstilts-test",
            "SlurmctldHost": "localhost",
            "AuthType": "auth/munge",
            "CredType": "cred/munge",
            "AuthInfo": f"socket={root / 'munge' / 'munge.sock'}",
            "SlurmUser": "root",
            "SlurmdUser": "root",
            "SlurmctldPort": _free_port(),
            "SlurmdPort": _free_port(),
            "StateSaveLocation": root / "state",
            "SlurmdSpoolDir": root / "spool",
            "SlurmctldPidFile": root / "slurmctld.pid",
            "SlurmdPidFile": root / "slurmd.pid",
            "SlurmctldLogFile": root / "log" / "slurmctld.log",
            "SlurmdLogFile": root / "log" / "slurmd.log",
            "ProctrackType": "proctrack/linuxproc",
            "TaskPlugin": "task/none",
            "SelectType": "select/cons_tres",
            "SelectTypeParameters": "CR_Core_Memory",
            "SchedulerParameters": "sched_min_interval=0,bf_interval=1",
            "KillWait": 5,
            "ReturnToService": 2,
            "MpiDefault": "none",
            "JobAcctGatherType": "jobacct_gather/none",
            "AccountingStorageType": "accounting_storage/none",
            "GresTypes": "gpu",
        }
        lines = [f"{k}={v}" for k, v in settings.items()]
        lines.append(
            f"NodeName=localhost CPUs={self.cpus} RealMemory={_memory_mb()} "
            f"Gres=gpu:{len(FAKE_GPUS)} State=UNKNOWN"
        )
        lines.append(f"PartitionName={self.partition} Nodes=localhost Default=YES State=UP")
        (root / "slurm.conf").write_text("\n".join(lines) + "\n")
        (root / "gres.conf").write_text("".join(f"Name=gpu File={f}\n" for f in FAKE_GPUS))

    def _start(self) -> None:
        munge = self.root / "munge"
        subprocess.run(
            ["munged", "--force", f"--key-file={munge / 'munge.key'}",
             f"--socket={munge / 'munge.sock'}", f"--pid-file={munge / 'munged.pid'}",
             f"--log-file={munge / 'munged.log'}", f"--seed-file={munge / 'seed'}"],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(["slurmctld"], env=self.env, check=True, capture_output=True)
        subprocess.run(["slurmd", "-N", "localhost"], env=self.env, check=True, capture_output=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = subprocess.run(
                ["sinfo", "--noheader", "--format=%T"], env=self.env, capture_output=True,
                text=True,
            ).stdout.strip()  # fmt: skip
            if state == "idle":
                return
            time.sleep(0.5)
        log = (self.root / "log" / "slurmctld.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the local Slurm node never became idle (state {state!r}):\n{log}")

    def stop(self) -> None:
        """SIGTERM to each daemon, SIGKILL to one still there after 15 s."""
        pids = []
        for pid_file in ("slurmd.pid", "slurmctld.pid", "munge/munged.pid"):
            path = self.root / pid_file
            if path.is_file() and path.read_text().strip().isdigit():
                pids.append(int(path.read_text().strip()))
        for pid in pids:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in filter(_alive, pids):
            _signal(pid, signal.SIGKILL)

    def wait_idle(self, timeout: float) -> None:
        """Until no job is pending or running (or `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            queue = subprocess.run(
                ["squeue", "--noheader", "--states=PENDING,RUNNING,CONFIGURING,COMPLETING",
                 "--format=%i"], env=self.env, capture_output=True, text=True,
            ).stdout.split()  # fmt: skip
            if not queue:
                return
            time.sleep(1)
        raise TimeoutError(f"jobs still queued after {timeout:.0f} s")
