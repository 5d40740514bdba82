"""The multi-process path: two CPU processes (torchrun, gloo) with a global batch of 8 split
into micro-batches must train the same model as one process, within float tolerance, whether
the model is replicated (DDP) or sharded (FSDP2); a sharded run resumes exactly, and its resume
state (full tensors) can be picked up by a run with another layout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from .conftest import NOISE_ONLY, REPO, needs_cpu_compiler

WORKER = REPO / "tests" / "ddp_worker.py"


def launch(world: Path, out: Path, processes: int, per_device: str, *flags: str) -> dict:
    """Runs the worker; returns its result, or {} when it stopped before writing one."""
    env = {
        **os.environ,
        "ACCELERATE_USE_CPU": "true",
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}",
    }
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += [f"--nproc_per_node={processes}", str(WORKER), str(world), str(out), per_device]
    done = subprocess.run(
        command + list(flags), env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-4000:]
    if not (out / "result.json").exists():
        return {}
    return json.loads((out / "result.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def launched(small_world, tmp_path_factory):
    """`launch` for the runs that several tests compare with: each launched once per module;
    returns its result and its output directory."""
    root = tmp_path_factory.mktemp("shared-runs")
    done: dict[tuple, tuple[dict, Path]] = {}

    def get(processes: int, per_device: str, *flags: str) -> tuple[dict, Path]:
        key = (processes, per_device, *flags)
        if key not in done:
            out = root / f"run{len(done)}"
            done[key] = (launch(small_world, out, processes, per_device, *flags), out)
        return done[key]

    return get


def weights(out: Path) -> dict[str, torch.Tensor]:
    return load_file(str(out / "model.safetensors"))


def assert_same_run(a: dict, b: dict) -> None:
    assert a["task_counts"] == b["task_counts"]
    for x, y in zip(a["history"], b["history"], strict=True):
        assert x["step"] == y["step"] and x["dev"] == y["dev"]
        assert x["train_loss"] == pytest.approx(y["train_loss"], rel=1e-5)


# The worker's recipe (tests/ddp_worker.py): 6 Adam steps at a learning rate of 1e-3.
ADAM_STEPS, ADAM_LR = 6, 1e-3
STRAY_SHARE = 0.01  # of a tensor's elements, that rounding may tip (at least one)


def assert_close_weights(
    a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], atol: float = 3e-4
) -> None:
    """Adam on tiny gradients amplifies rounding: an element whose gradient is close to zero
    moves by up to the learning rate per step whichever way rounding tips it, so two runs that
    sum the same gradients in another order can differ there by up to two steps' worth per
    step. Measured between eager runs: up to 2e-4 on one machine, 4.7e-4 on another (one element
    of the RACE head's dense weight); compiled kernels reorder float sums too (5e-4, as in the
    single-process compiled-vs-eager test). So every tensor agrees to `atol` but for a stray
    1% of its elements at most, which stay within that Adam bound; a wrong gradient moves most
    elements, not a stray few. The runs' losses and dev scores are compared exactly or to 1e-5
    (`assert_same_run`)."""
    assert a.keys() == b.keys()
    bound = 2 * ADAM_LR * ADAM_STEPS
    for name, value in a.items():
        if name in NOISE_ONLY:
            continue
        difference = (b[name] - value).abs()
        stray = difference > atol + 1e-3 * value.abs()
        allowed = max(1, int(STRAY_SHARE * value.numel()))
        assert int(stray.sum()) <= allowed, (
            f"{name}: {int(stray.sum())} of {value.numel()} elements differ by more than {atol} "
            f"(largest {difference.max().item():.2e}); rounding explains {allowed} at most"
        )
        assert difference.max().item() <= bound, f"{name}: {difference.max().item():.2e} apart"


def test_two_processes_train_what_one_process_trains(small_world, tmp_path, launched) -> None:
    one, one_out = launched(1, "3")
    two = launch(small_world, tmp_path / "two", 2, "3")
    assert (one["processes"], one["micro_steps"], one["sharded"]) == (1, 3, False)
    assert (two["processes"], two["micro_steps"], two["sharded"]) == (2, 2, False)
    assert_same_run(one, two)
    assert_close_weights(weights(one_out), weights(tmp_path / "two"))
    assert not list(tmp_path.glob(".two.*")), "a non-main process left a scratch directory"
    assert not (tmp_path / "two.state").exists(), "resume state must be cleared at the end"


@pytest.mark.compile
@needs_cpu_compiler
def test_compiled_model_inside_ddp_trains_what_one_eager_process_trains(
    small_world, tmp_path, launched
) -> None:
    """`compile: true` with DDP, as on a multi-GPU server: the compiled model runs inside DDP's
    forward and its gradients are still reduced over the processes."""
    one, one_out = launched(1, "3")
    two = launch(small_world, tmp_path / "two", 2, "3", "--compile")
    assert (two["processes"], two["micro_steps"], two["sharded"]) == (2, 2, False)
    assert two["compiled"] and not one["compiled"]
    assert_same_run(one, two)
    # measured on one CPU: 3.3e-4 on 1 of 1,024 weights of heads.race.dense
    assert_close_weights(weights(one_out), weights(tmp_path / "two"), atol=5e-4)


@pytest.mark.parametrize(
    "extra",
    [(), ("--checkpointing",), ("--mlm",)],
    ids=["multi-task", "recomputed-activations", "masked-lm"],
)
def test_sharded_processes_train_what_one_process_trains(launched, extra) -> None:
    """FSDP over 2 processes (each of the 2 layers its own unit); the masked LM's output
    projection is tied to its embeddings, and must come back tied."""
    mlm = "--mlm" in extra
    one, one_out = launched(1, "3", *extra)
    sharded, sharded_out = launched(2, "3", "--fsdp", *extra)
    assert (sharded["processes"], sharded["micro_steps"], sharded["sharded"]) == (2, 2, True)
    assert sharded["caller_model_returned"]
    assert_same_run(one, sharded)
    trained = weights(sharded_out)
    assert_close_weights(weights(one_out), trained)
    if mlm:
        torch.testing.assert_close(
            trained["lm_head.decoder.weight"], trained["roberta.embeddings.word_embeddings.weight"]
        )


def test_sharded_bf16_run_gathers_bf16_weights_and_trains_like_autocast(
    small_world, tmp_path
) -> None:
    """Under bf16, FSDP gathers each layer's weights in bf16 (half the traffic) while the
    sharded master weights stay fp32; the run stays close to one process under bf16 autocast,
    which computes with fp32 weights cast op by op (bf16 rounding apart, the same run)."""
    one = launch(small_world, tmp_path / "one", 1, "3", "--bf16")
    sharded = launch(small_world, tmp_path / "fsdp", 2, "3", "--fsdp", "--bf16")
    assert one["weight_dtypes"] == ["torch.float32"]
    assert sharded["weight_dtypes"] == ["torch.bfloat16"]
    for x, y in zip(one["history"], sharded["history"], strict=True):
        assert x["train_loss"] == pytest.approx(y["train_loss"], rel=5e-3)
    trained = weights(tmp_path / "fsdp")
    assert {value.dtype for value in trained.values()} == {torch.float32}
    for name, value in weights(tmp_path / "one").items():
        if name not in NOISE_ONLY:  # a few Adam steps of 1e-3 apart at most
            torch.testing.assert_close(trained[name], value, rtol=0, atol=1e-2, msg=name)


def test_sharded_run_resumes_exactly_from_full_state(small_world, tmp_path, launched) -> None:
    """Stopped after step 4 (state saved at 3), then relaunched: the same weights, bit for bit,
    as an uninterrupted sharded run. The state on disk holds whole tensors, and a single
    process (no sharding) can resume from it too."""
    whole, whole_out = launched(2, "3", "--fsdp")
    assert launch(small_world, tmp_path / "cut", 2, "3", "--fsdp", "--stop-at", "4") == {}
    state = load_file(str(tmp_path / "cut.state" / "tensors.safetensors"))
    final = weights(whole_out)
    for name, value in final.items():
        assert state[f"model.{name}"].shape == value.shape, name
    # the same resume state, for a one-process run (the directory name ties state to output)
    (tmp_path / "single.state").mkdir()
    for file in (tmp_path / "cut.state").iterdir():
        (tmp_path / "single.state" / file.name).write_bytes(file.read_bytes())

    resumed = launch(small_world, tmp_path / "cut", 2, "3", "--fsdp")
    assert resumed["resumed_from"] == 3 and whole["resumed_from"] is None
    assert resumed["history"] == whole["history"]
    for name, value in final.items():
        assert torch.equal(weights(tmp_path / "cut")[name], value), name

    single = launch(small_world, tmp_path / "single", 1, "3")
    assert (single["resumed_from"], single["sharded"]) == (3, False)
    assert_same_run(whole, single)
    assert_close_weights(final, weights(tmp_path / "single"))
