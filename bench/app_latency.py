"""Latency of the Gradio demo on this machine's CPUs, with the sample pipeline's checkpoints.

Measures: start-up (process start to the page answering: imports, loading every checkpoint under
--models, building the UI), the median latency of a compare request (every model of a task, clean
and perturbed input), of an attack with the default budget (`AttackBudget()`, every family that
supports the language), and a burst of compare requests sent at once (default 500, inputs far
longer than the models read, half of them also asking the tokenizer whether it sees an
invisible-character edit): each is counted as answered, refused by the queue's bound
(`--queue-size`, the app's backpressure) or failed, and an internal error is a failure of the
demo. Prints a markdown table. Run from the repository root after `make repro`:

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


LONG = ("Kofi и Anya барет 2 нюбронвю. " * 40)[:990]


def start(models: str, port: int, queue_size: int) -> tuple[subprocess.Popen, float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "app/main.py",
            "--models",
            models,
            "--port",
            str(port),
            "--queue-size",
            str(queue_size),
        ],
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
    parser.add_argument("--concurrent", type=int, default=500)
    parser.add_argument("--queue-size", type=int, default=64, help="the app's --queue-size")
    args = parser.parse_args()
    if not Path(args.models).is_dir():
        raise SystemExit(f"{args.models} does not exist: run `make repro` first")

    port = free_port()
    process, startup = start(args.models, port, args.queue_size)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        models = [
            f"{c}/{args.task}/seed0" for c in ("none", "qqp", "mnli", "race", "multi")
        ]  # the sample run's models of the task

        def compare(seed: int, texts: tuple[str, str] = RU, family: str = "char_swap") -> dict:
            return client.predict(
                task=args.task, models=models, text_a=texts[0], text_b=texts[1], family=family,
                strength=0.2, seed=seed, api_name="/compare",
            )  # fmt: skip

        def attack(seed: int) -> dict:
            return client.predict(
                task=args.task, models=models, text_a=HI[0], text_b=HI[1], seed=seed,
                api_name="/attack",
            )  # fmt: skip

        compare(0)  # warm-up
        compare_times = [timed(compare, seed)[0] for seed in range(args.compares)]
        attack_times, queries, flips = [], [], 0
        for seed in range(args.attacks):
            seconds, result = timed(attack, seed)
            attack_times.append(seconds)
            rows = result["results"]["rows"]
            queries += [int(row[4]) for row in rows]
            flips += sum(row[3].startswith("✔") for row in rows)

        def one(seed: int) -> tuple[float, str]:
            family = "invisible" if seed % 2 else "char_swap"
            try:
                seconds, result = timed(compare, seed, (LONG, LONG), family)
                good = len(result["predictions"]["rows"]) == len(models)
                return seconds, "answered" if good else "wrong answer"
            except Exception as err:
                text = str(err).lower()
                if "queue is full" in text:
                    return float("nan"), "queue full"
                return float("nan"), "internal error" if "internal error" in text else "failed"

        begin = time.perf_counter()
        with ThreadPoolExecutor(max_workers=min(args.concurrent, 256)) as pool:
            burst = list(pool.map(one, range(args.concurrent)))
        burst_wall = time.perf_counter() - begin
    finally:
        process.terminate()
        process.wait(timeout=30)

    ok = [seconds for seconds, outcome in burst if outcome == "answered"]
    counts = {o: sum(outcome == o for _, outcome in burst) for _, o in burst}
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
    outcomes = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
    latency = f"latency median {statistics.median(ok):.1f} s, max {max(ok):.1f} s" if ok else "none"
    print(
        f"| {args.concurrent} concurrent compares (queue bound {args.queue_size}) | {outcomes}; "
        f"wall {burst_wall:.1f} s; {latency} |"
    )


if __name__ == "__main__":
    main()
