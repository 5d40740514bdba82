"""Latency of the Gradio demo on this machine's CPUs, with the sample pipeline's checkpoints.

Measures: start-up (process start to the page answering: imports, loading every checkpoint under
--models, building the UI), the median latency of a compare request (every model of a task, clean
and perturbed input), of an attack with the default budget (`AttackBudget()`, every family that
supports the language), and 50 compare requests sent at once (all must be answered). Prints a
markdown table. Run from the repository root after `make repro`:

    OMP_NUM_THREADS=1 PYTHONPATH=src python bench/app_latency.py
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gradio_client import Client

RU = ("Kofi и Anya барет 2 нюбронвю.", "Kofi и Anya ниет 2 нюбронвю.")
HI = ("Kofi और Anya 2 श्रूं प्रेंनीता है।", "Kofi और Anya 2 श्रूं दस्वास्वैता है।")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(models: str, port: int) -> tuple[subprocess.Popen, float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "app/main.py", "--models", models, "--port", str(port)],
        env=os.environ | {"PYTHONPATH": "src"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    while True:
        if process.poll() is not None:
            raise SystemExit(f"the app exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process, time.perf_counter() - started
        except OSError:
            time.sleep(0.1)


def timed(fn, *args):
    begin = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - begin, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="models/target")
    parser.add_argument("--task", default="xnli")
    parser.add_argument("--compares", type=int, default=20)
    parser.add_argument("--attacks", type=int, default=5)
    parser.add_argument("--concurrent", type=int, default=50)
    args = parser.parse_args()
    if not Path(args.models).is_dir():
        raise SystemExit(f"{args.models} does not exist: run `make repro` first")

    port = free_port()
    process, startup = start(args.models, port)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        models = [
            f"{c}/{args.task}/seed0" for c in ("none", "qqp", "mnli", "race", "multi")
        ]  # the sample run's models of the task

        def compare(seed: int, texts: tuple[str, str] = RU) -> tuple:
            return client.predict(
                args.task, models, *texts, "", "cause", "", "", "auto", "char_swap", 0.2, seed,
                api_name="/compare",
            )  # fmt: skip

        def attack(seed: int) -> tuple:
            return client.predict(
                args.task, models, *HI, "", "cause", "", "", "auto", 0.2, 200, 1, 4, [], seed,
                api_name="/attack",
            )  # fmt: skip

        compare(0)  # warm-up
        compare_times = [timed(compare, seed)[0] for seed in range(args.compares)]
        attack_times, queries, flips = [], [], 0
        for seed in range(args.attacks):
            seconds, (status, _, table) = timed(attack, seed)
            if status.startswith("⚠️"):
                raise SystemExit(f"attack failed: {status}")
            attack_times.append(seconds)
            queries += [int(row[4]) for row in table["data"]]
            flips += sum(row[3].startswith("✔") for row in table["data"])

        def one(seed: int) -> tuple[float, bool]:
            try:
                seconds, (status, _, table) = timed(compare, seed)
                return seconds, not status.startswith("⚠️") and len(table["data"]) == len(models)
            except Exception:
                return float("nan"), False

        begin = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrent) as pool:
            burst = list(pool.map(one, range(args.concurrent)))
        burst_wall = time.perf_counter() - begin
    finally:
        process.terminate()
        process.wait(timeout=30)

    ok = [s for s, good in burst if good]
    print(f"CPU threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"{os.cpu_count()} cores visible; {len(models)} models of {args.task}")  # fmt: skip
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| start-up (process start to page served, {args.models}) | {startup:.1f} s |")
    print(
        f"| compare, median of {args.compares} ({len(models)} models, clean + perturbed) | "
        f"{1000 * statistics.median(compare_times):.0f} ms |"
    )
    print(
        f"| attack, default budget, median of {args.attacks} ({len(models)} models) | "
        f"{statistics.median(attack_times):.2f} s (queries per model: median "
        f"{statistics.median(queries):.0f}, max {max(queries)}; flipped {flips}/{len(queries)}) |"
    )
    print(
        f"| {args.concurrent} concurrent compares | {len(ok)} answered, "
        f"{args.concurrent - len(ok)} failed; wall {burst_wall:.1f} s; latency median "
        f"{statistics.median(ok):.1f} s, max {max(ok):.1f} s |"
    )


if __name__ == "__main__":
    main()
