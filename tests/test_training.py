"""Training: a tiny model learns a sample task; a resumed run equals an uninterrupted one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from xstilts.config import ExecutionConfig, LoopConfig, SamplerConfig, SpanConfig, TrainingConfig
from xstilts.data.sources import load_examples
from xstilts.errors import XstiltsError
from xstilts.modeling.encoding import encode
from xstilts.modeling.model import MultiTaskModel, load_checkpoint
from xstilts.modeling.predict import accuracy, predict
from xstilts.stages.finetune import training_run
from xstilts.tasks import get_task
from xstilts.training.hardware import configure_determinism, maybe_compile
from xstilts.training.loop import Trainer, TrainingRun, fingerprint
from xstilts.training.objectives import TaskObjective
from xstilts.training.parallel import Replicated

from .conftest import NOISE_ONLY, needs_cpu_compiler
from .tiny_models import corpus_lines, task_lines, tiny_tokenizer
from .tiny_models import tiny_model as build_tiny_model


@pytest.fixture(scope="module")
def tokenizer(small_world: Path):
    lines = corpus_lines(small_world) + task_lines(small_world, "qqp/train", "race/train")
    return tiny_tokenizer(lines, vocab_size=800)


def tiny_model(
    tokenizer, tasks: tuple[str, ...], seed: int = 0, dropout: float = 0.1
) -> MultiTaskModel:
    return build_tiny_model(
        tokenizer,
        tasks,
        seed,
        hidden_size=64,
        num_hidden_layers=2,
        intermediate_size=128,
        max_position_embeddings=260,
        dropout=dropout,
    )


def objective(task: str, world: Path, tokenizer) -> TaskObjective:
    spec = get_task(task)
    load = lambda split: load_examples(spec, split, "en", "sample", world)  # noqa: E731
    return TaskObjective(
        name=task,
        head=spec.head_name,
        train=encode(load("train"), tokenizer, 128),
        dev=encode(load("dev"), tokenizer, 128),
        pad_id=tokenizer.pad_token_id,
    )


def test_tiny_model_learns_a_sample_task_above_chance(small_world, tokenizer, tmp_path) -> None:
    task = "xcopa"
    model = tiny_model(tokenizer, (task,))
    settings = loop_run(100, lr=2e-3, batch_size=32, eval_every=50, checkpoint_every=1000)
    result = Trainer(
        model, [objective(task, small_world, tokenizer)], settings, 0, tmp_path / "state"
    ).fit()
    dev = load_examples(get_task(task), "dev", "en", "sample", small_world)
    probs = predict(model, tokenizer, get_task(task).head_name, dev)
    assert accuracy(probs, [e.label for e in dev]) == pytest.approx(result.best_score)
    assert result.best_score >= 0.65, f"dev accuracy {result.best_score:.2f} (chance 0.5)"


def loop_run(steps: int, execution: ExecutionConfig | None = None, **recipe: object) -> TrainingRun:
    """A one-task run of the loop: `recipe` keys of `LoopConfig`, default execution."""
    return TrainingRun(LoopConfig(**recipe), SamplerConfig(), steps, execution or ExecutionConfig())


class Interrupt(Exception):
    pass


def run(
    world, tokenizer, state_dir: Path, stop_at: int | None = None, dropout: float = 0.1, **execution
):
    tasks = ("qqp", "race")
    model = tiny_model(tokenizer, tasks, dropout=dropout)
    settings = loop_run(
        12, ExecutionConfig(**execution), lr=1e-3, batch_size=8, eval_every=4, checkpoint_every=4
    )

    def on_step(step: int) -> None:
        if step == stop_at:
            raise Interrupt

    trainer = Trainer(
        model,
        [objective(t, world, tokenizer) for t in tasks],
        settings,
        0,
        state_dir,
        on_step=on_step,
    )
    return model, trainer.fit(), trainer


@pytest.fixture(scope="module")
def plain_run(small_world, tokenizer, tmp_path_factory):
    """The uninterrupted, eager, replicated run that the tests below compare with (once)."""
    return run(small_world, tokenizer, tmp_path_factory.mktemp("plain") / "a")


def test_resumed_run_equals_uninterrupted_run_bit_for_bit(
    small_world, tokenizer, tmp_path, plain_run
):
    model, result, _ = plain_run
    with pytest.raises(Interrupt):
        run(small_world, tokenizer, tmp_path / "b", stop_at=10)
    resumed_model, resumed, trainer = run(small_world, tokenizer, tmp_path / "b")
    assert resumed.resumed_from == 8
    assert resumed.history == result.history
    assert resumed.task_counts == result.task_counts
    for (name, a), (_, b) in zip(
        model.state_dict().items(), resumed_model.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name
    trainer.clear_state()
    assert not (tmp_path / "b").exists()


def test_fsdp_on_one_process_is_the_plain_run(small_world, tokenizer, tmp_path, plain_run):
    """Nothing to shard over: the replicated strategy, the same weights bit for bit, and the
    trainer hands back the caller's own model object."""
    model, result, _ = plain_run
    asked, asked_result, trainer = run(small_world, tokenizer, tmp_path / "b", fsdp=True)
    assert isinstance(trainer.parallel, Replicated)
    assert trainer.raw_model is asked
    assert asked_result.history == result.history
    for (name, a), (_, b) in zip(
        model.state_dict().items(), asked.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name


@pytest.mark.compile
@needs_cpu_compiler
def test_compiled_training_is_the_eager_run(small_world, tokenizer, tmp_path) -> None:
    """`compile: true` trains what eager training trains, within float tolerance (dropout off:
    compiled kernels draw their own random numbers), both heads and the choice inputs included;
    compiling in place keeps the state dict's keys, so checkpoints load as usual."""
    model, result, _ = run(small_world, tokenizer, tmp_path / "a", dropout=0.0)
    compiled, compiled_result, _ = run(
        small_world, tokenizer, tmp_path / "b", dropout=0.0, compile=True
    )
    assert compiled._compiled_call_impl is not None, "the model was not compiled"
    assert list(compiled.state_dict()) == list(model.state_dict())
    assert len(compiled_result.history) == len(result.history) == 3
    for eager, fused in zip(result.history, compiled_result.history, strict=True):
        assert fused["train_loss"] == pytest.approx(eager["train_loss"], rel=1e-4)
        assert fused["dev"] == pytest.approx(eager["dev"], abs=1e-9)
    for (name, a), (_, b) in zip(
        model.state_dict().items(), compiled.state_dict().items(), strict=True
    ):
        if name in NOISE_ONLY:
            continue
        # Adam scales each step by the gradient's own running size, so where a gradient is
        # nearly zero, reordered float sums move a weight further: 1.5e-4 measured
        torch.testing.assert_close(b, a, rtol=1e-3, atol=5e-4, msg=name)


def test_compile_without_a_compiler_fails_before_training(monkeypatch) -> None:
    monkeypatch.delenv("CC", raising=False)
    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.setattr("shutil.which", lambda name: None)
    model = torch.nn.Linear(2, 2)
    for device, needed in (("cpu", r"C\+\+ compiler"), ("cuda", "C compiler")):
        with pytest.raises(XstiltsError, match=f"needs a {needed} on PATH.*compile: false"):
            maybe_compile(model, True, torch.device(device))
    maybe_compile(model, False, torch.device("cpu"))  # off: nothing is asked of the machine


def test_resume_state_of_another_run_is_ignored(small_world, tokenizer, tmp_path) -> None:
    with pytest.raises(Interrupt):
        run(small_world, tokenizer, tmp_path / "s", stop_at=6)
    tasks = ("qqp",)
    settings = loop_run(4, lr=1e-3, batch_size=8, eval_every=2, checkpoint_every=2)
    result = Trainer(
        tiny_model(tokenizer, tasks),
        [objective("qqp", small_world, tokenizer)],
        settings,
        0,
        tmp_path / "s",
    ).fit()
    assert result.resumed_from is None and result.steps == 4


def test_checkpoint_round_trip_and_corruption(small_world, tokenizer, tmp_path) -> None:
    model = tiny_model(tokenizer, ("pawsx",))
    model.save(tmp_path / "ckpt", tokenizer, {"stage": "test"})
    assert not list((tmp_path / "ckpt").rglob("*.bin")), "weights must be safetensors"
    loaded, loaded_tokenizer, meta = load_checkpoint(tmp_path / "ckpt")
    dev = load_examples(get_task("pawsx"), "dev", "en", "sample", small_world)[:16]
    model.eval()
    assert predict(model, tokenizer, "pawsx", dev) == pytest.approx(
        predict(loaded, loaded_tokenizer, "pawsx", dev)
    )
    assert meta["stage"] == "test" and meta["heads"][0]["labels"] == list(get_task("pawsx").labels)
    (tmp_path / "ckpt" / "heads.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(XstiltsError, match=r"checkpoint .*ckpt is missing or corrupt"):
        load_checkpoint(tmp_path / "ckpt")


def test_tokenizer_training_is_identical_across_processes(small_world, tmp_path) -> None:
    """Every later stage depends on the tokenizer: two processes must train the same one."""
    import subprocess
    import sys

    script = (
        "import sys; from pathlib import Path; "
        "from xstilts.modeling.tokenizer import train_tokenizer; "
        "lines = Path(sys.argv[1]).read_text(encoding='utf-8').splitlines(); "
        "train_tokenizer(lines, 700).save_pretrained(sys.argv[2])"
    )
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(
        (small_world / "corpus" / "zh.txt").read_text(encoding="utf-8")
        + (small_world / "corpus" / "hi.txt").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    outputs = [tmp_path / "a", tmp_path / "b"]
    for out in outputs:
        subprocess.run([sys.executable, "-c", script, str(corpus), str(out)], check=True)
    assert (outputs[0] / "tokenizer.json").read_bytes() == (
        outputs[1] / "tokenizer.json"
    ).read_bytes()


@pytest.mark.parametrize(
    ("device", "deterministic_cuda", "expected"),
    [("cpu", False, True), ("cuda", False, False), ("cuda", True, True)],
)
def test_deterministic_kernels_everywhere_but_on_gpus_unless_asked(
    device: str, deterministic_cuda: bool, expected: bool, monkeypatch
) -> None:
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    before = torch.are_deterministic_algorithms_enabled()
    try:
        configure_determinism(torch.device(device), deterministic_cuda)
        assert torch.are_deterministic_algorithms_enabled() is expected
    finally:
        torch.use_deterministic_algorithms(before, warn_only=True)


# A value other than the default for every field of a fine-tuning recipe.
CHANGED = {
    "lr": 2e-5,
    "weight_decay": 0.0,
    "adam_eps": 1e-6,
    "warmup_ratio": 0.0,
    "max_grad_norm": 2.0,
    "batch_size": 16,
    "eval_every": 5,
    "patience": 3,
    "checkpoint_every": 5,
    "precision": "fp32",
    "group_by_length": True,
    "epochs": 2.0,
    "max_steps": 11,
    "max_length": 128,
    "max_length_overrides": {"race": 512},
    "eval_batch_size": 64,
    "dropout": 0.0,
    "sampler": SamplerConfig(strategy="uniform"),
    "spans": SpanConfig(doc_stride=64),
}


def test_the_fingerprint_leaves_out_execution_and_tells_every_recipe_setting_apart() -> None:
    """Resume state survives any change of the execution section (speed only), and no other:
    each recipe field, the sampler and the step count change the fingerprint."""
    assert set(CHANGED) == set(TrainingConfig.model_fields), "add the new field to CHANGED"
    run = training_run(TrainingConfig(max_steps=10), ExecutionConfig(), 1000)
    reference = fingerprint(run, [], 0, "run")
    faster = ExecutionConfig(
        per_device_batch_size=2,
        compile=True,
        gradient_checkpointing=True,
        log_every=1,
        deterministic_cuda=True,
    )
    assert {f for f in ExecutionConfig.model_fields if f != "fsdp"} <= faster.model_fields_set
    for execution in (faster, ExecutionConfig(fsdp=True)):
        assert fingerprint(replace(run, execution=execution), [], 0, "run") == reference
    for key, value in CHANGED.items():
        changed = replace(run, recipe=run.recipe.model_copy(update={key: value}))
        assert fingerprint(changed, [], 0, "run") != reference, key
    assert fingerprint(replace(run, steps=11), [], 0, "run") != reference
    assert fingerprint(replace(run, sampler=CHANGED["sampler"]), [], 0, "run") != reference
