"""Shared fixtures: a small sample world, params shrunk to seconds, a tiny tokenizer."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from xstilts.config import Params, deep_update, parse_params
from xstilts.sample.world import generate_world
from xstilts.sample.world_config import SampleWorldConfig
from xstilts.training.hardware import find_compiler

REPO = Path(__file__).resolve().parents[1]
# A multiple-choice head's output bias shifts every choice's score alike: its gradient is zero
# up to rounding, and Adam turns that rounding noise into full-size steps. Runs that should train
# the same weights are not compared on it.
NOISE_ONLY = {"heads.race.out_proj.bias"}


def pytest_configure(config: pytest.Config) -> None:
    """Each pytest-xdist worker, and every process it starts (the pipeline's stages, torchrun's
    workers), gets its share of the cores as torch's thread count. Left alone, every worker's
    torch takes all of them: two workers on two cores then run four spinning OpenMP threads, and
    the suite ran four times slower than the same work one process at a time. A thread count
    set from outside (OMP_NUM_THREADS) is kept. xdist's controller runs no test and leaves the
    environment its workers inherit alone."""
    if config.getoption("numprocesses", None) and "PYTEST_XDIST_WORKER" not in os.environ:
        return
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    share = max(1, len(os.sched_getaffinity(0)) // workers)
    threads = os.environ.setdefault("OMP_NUM_THREADS", str(share))
    os.environ.setdefault("MKL_NUM_THREADS", threads)
    torch.set_num_threads(int(threads))


needs_cpu_compiler = pytest.mark.skipif(
    find_compiler(torch.device("cpu")) is None,
    reason="no C++ compiler for torch.compile's CPU backend: `apt-get install g++` (.ci/run does)",
)
SMALL_WORLD = {
    "corpus_sentences": 400,
    "parallel_pairs": 150,
    "qqp_train": 300,
    "mnli_train": 300,
    "race_train": 120,
    "xnli_train": 300,
    "pawsx_train": 300,
    "xcopa_train": 200,
    "udpos_train": 200,
    "panx_train": 200,
    "dev_size": 60,
    "test_size": 40,
    "tatoeba_pairs": 40,
    "bucc_dev_pairs": 10,
    "bucc_test_pairs": 20,
}


def sample_profile() -> dict[str, Any]:
    return yaml.safe_load((REPO / "profiles" / "sample.yaml").read_text(encoding="utf-8"))


TINY_RUN = {
    "sample_world": SMALL_WORLD,
    "data": {"mlm_corpus": {"train_lines": 40, "dev_lines": 10}},
    "base": {
        "tokenizer": {"vocab_size": 600},
        "architecture": {
            "hidden_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 64,
        },
        "pretrain": {"max_steps": 12, "batch_size": 16, "eval_every": 6, "checkpoint_every": 6},
    },
    "intermediate": {"max_steps": 8, "batch_size": 16, "eval_every": 4, "checkpoint_every": 4},
    "target": {
        "training": {
            "epochs": None,
            "max_steps": 6,
            "batch_size": 16,
            "eval_every": 3,
            "checkpoint_every": 3,
        },
        "overrides": {},
    },
    "robustness": {
        "max_examples": 8,
        "attack_examples": 3,
        "attacks": {"typo": {"max_queries": 20}, "codeswitch": {"max_queries": 20}},
        "bootstrap_resamples": 200,
    },
}


def strict_load(text: str):
    """json.loads that refuses the non-standard constants Python's json accepts by default."""

    def refuse(constant: str):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("world")
    generate_world(root, SampleWorldConfig(**SMALL_WORLD))
    return root


@pytest.fixture
def tiny_params() -> Params:
    """The sample profile shrunk to a pipeline that runs in seconds."""
    return parse_params(deep_update(sample_profile(), TINY_RUN))
