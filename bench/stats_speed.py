"""Wall time of the robustness statistics on CPU: one bootstrap and a full comparison table.

Run: PYTHONPATH=src python3 bench/stats_speed.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from xstilts.stats import compare, compare_drops, paired_bootstrap, robustness_drops


def timed(label: str, fn) -> None:
    start = time.perf_counter()
    fn()
    print(f"| {label} | {time.perf_counter() - start:.3f} |")


def world(n: int, languages: int, seeds: int, variants: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    index = pd.MultiIndex.from_product(
        [["multi", "qqp", "mnli", "race", "none"], ["xnli"], range(seeds),
         [f"l{i}" for i in range(languages)], ["clean"] + [f"v{i}" for i in range(variants)],
         range(n)],
        names=["condition", "task", "seed", "language", "variant", "example_id"],
    )  # fmt: skip
    frame = index.to_frame(index=False)
    frame["correct"] = (rng.random(len(frame)) < 0.7).astype(int)
    return frame


def main() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 2, 5000), rng.integers(0, 2, 5000)
    x, y = rng.random(5000), rng.random(5000)
    print("| step | seconds |\n|---|---|")
    timed(
        "paired_bootstrap 10k resamples x 5k examples, 0/1",
        lambda: paired_bootstrap(a, b, 10_000, 0),
    )
    timed(
        "paired_bootstrap 10k resamples x 5k examples, float",
        lambda: paired_bootstrap(x, y, 10_000, 0),
    )
    frame = world(n=1000, languages=5, seeds=3, variants=4)
    rows = len(frame)
    timed(f"compare, {rows} rows, 10k resamples", lambda: compare(frame))
    timed(f"robustness_drops, {rows} rows, 10k resamples", lambda: robustness_drops(frame))
    timed(f"compare_drops, {rows} rows, 10k resamples", lambda: compare_drops(frame))


if __name__ == "__main__":
    main()
