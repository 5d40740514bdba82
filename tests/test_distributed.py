"""The multi-process path: two CPU processes (torchrun, gloo) with a global batch of 8 split
into micro-batches must train the same model as one process, within float tolerance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from .conftest import REPO

WORKER = REPO / "tests" / "ddp_worker.py"
# A multiple-choice head's output bias shifts every choice's score alike: its gradient is zero
# up to rounding, and Adam turns that rounding noise into full-size steps. It is not compared.
NOISE_ONLY = {"heads.race.out_proj.bias"}


def launch(world: Path, out: Path, processes: int, per_device: str) -> dict:
    env = {
        **os.environ,
        "ACCELERATE_USE_CPU": "true",
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}",
    }
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += [f"--nproc_per_node={processes}", str(WORKER), str(world), str(out), per_device]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads((out / "result.json").read_text(encoding="utf-8"))


def test_two_processes_train_what_one_process_trains(small_world, tmp_path) -> None:
    one = launch(small_world, tmp_path / "one", 1, "3")
    two = launch(small_world, tmp_path / "two", 2, "3")
    assert (one["processes"], one["micro_steps"]) == (1, 3)
    assert (two["processes"], two["micro_steps"]) == (2, 2)
    assert one["task_counts"] == two["task_counts"]
    for a, b in zip(one["history"], two["history"], strict=True):
        assert a["step"] == b["step"] and a["dev"] == b["dev"]
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-5)
    weights_one = load_file(str(tmp_path / "one" / "model.safetensors"))
    weights_two = load_file(str(tmp_path / "two" / "model.safetensors"))
    assert weights_one.keys() == weights_two.keys()
    for name, value in weights_one.items():
        if name not in NOISE_ONLY:  # Adam on tiny gradients amplifies rounding: 1e-4 absolute
            torch.testing.assert_close(weights_two[name], value, rtol=1e-3, atol=1e-4, msg=name)
    assert not list(tmp_path.glob(".two.*")), "a non-main process left a scratch directory"
    assert not (tmp_path / "two.state").exists(), "resume state must be cleared at the end"
