"""The one training loop, shared by MLM pretraining, intermediate and target training.

Plain PyTorch plus accelerate (processes, device placement, DDP) or torch's FSDP2 when `fsdp`
is set (see `parallel`): one task per optimizer step chosen by the multi-task sampler, AdamW (no
decay on biases and LayerNorm), linear warmup and decay, gradient clipping, periodic dev
evaluation with early stopping on the mean dev score (of the objectives in `select_on`), and
resumable pickle-free state (full, unsharded tensors) every `checkpoint_every` steps. On CPU a
resumed run is bit for bit the uninterrupted one.

`batch_size` is the global batch. Under `accelerate launch` / `torchrun` each of the W processes
trains its share of every global batch in micro-batches of at most `per_device_batch_size` rows
(see `distributed`), so a run's trajectory does not depend on the number of GPUs. Dev scores are
computed on shards and summed over processes; only the main process writes. The hot loop never
waits for the device: the training loss is accumulated on it and read at evaluations (and every
`log_every` steps for the progress bar).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from accelerate import Accelerator, DistributedDataParallelKwargs
from torch import nn
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from xstilts.config import ExecutionConfig, LoopConfig, SamplerConfig
from xstilts.modeling.device import model_device
from xstilts.modeling.precision import autocast, resolve_precision
from xstilts.ranks import is_main_process
from xstilts.seeding import derive_seed, seed_everything
from xstilts.training import hardware, parallel
from xstilts.training.batches import BatchStream
from xstilts.training.distributed import accumulation_steps, chunks_for_process
from xstilts.training.state import has_state, load_state, save_state
from xstilts.training.task_sampler import MultiTaskSampler

log = logging.getLogger(__name__)


class Objective(Protocol):
    name: str

    @property
    def size(self) -> int: ...
    def lengths(self) -> list[int]: ...
    def batch(self, indices: list[int]) -> dict[str, torch.Tensor]: ...
    def weights(self, batch: dict[str, torch.Tensor]) -> torch.Tensor: ...
    def loss(self, model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor: ...
    def evaluate(
        self, model: Any, rank: int, processes: int, precision: str
    ) -> tuple[float, float]: ...


@dataclass(frozen=True)
class TrainingRun:
    """Everything one run of the loop is told, taken whole from the validated params: the
    recipe (the result-changing settings), the sampler of its tasks, its optimizer steps (the
    recipe's `max_steps`, or `epochs` over the run's examples), and how it uses the hardware."""

    recipe: LoopConfig
    sampler: SamplerConfig  # pretraining has one objective: nothing for the sampler to choose
    steps: int
    execution: ExecutionConfig

    @property
    def eval_every(self) -> int:
        """A run shorter than the recipe's `eval_every` evaluates once, at its end."""
        return min(self.recipe.eval_every, self.steps)

    def result_description(self) -> dict[str, Any]:
        """Everything that decides where the run goes: all of it but `execution`."""
        return {
            "recipe": self.recipe.model_dump(mode="json"),
            "sampler": self.sampler.model_dump(mode="json"),
            "steps": self.steps,
        }


@dataclass
class TrainResult:
    steps: int
    best_step: int
    best_score: float
    best_scores: dict[str, float]
    task_counts: dict[str, int]
    history: list[dict[str, Any]] = field(default_factory=list)
    resumed_from: int | None = None


def _param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        skip = param.ndim < 2 or "LayerNorm" in name or "layer_norm" in name
        (no_decay if skip else decay).append(param)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def fingerprint(run: TrainingRun, objectives: list[Objective], seed: int, name: str) -> str:
    """Identifies a run, so resume state from a different configuration is never reused; a run
    may resume under other execution settings (they change its speed, not its course)."""
    description = {
        "run": run.result_description(),
        "objectives": {o.name: o.size for o in objectives},
        "seed": seed,
        "name": name,
    }
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:16]


def _accelerator(find_unused_parameters: bool) -> Accelerator:
    """An Accelerator on `model_device()`, the device evaluation uses too: the CPU when that is
    the choice; otherwise this process's GPU, made the current one so that accelerate's `cuda`
    (single process) names the same GPU (under a launcher both are `cuda:<LOCAL_RANK>`)."""
    device = model_device()
    if device.type == "cuda":
        torch.cuda.set_device(device)
    ddp = DistributedDataParallelKwargs(find_unused_parameters=find_unused_parameters)
    return Accelerator(cpu=device.type == "cpu", mixed_precision="no", kwargs_handlers=[ddp])


class LossRunner(nn.Module):
    """The model plus the objectives' losses, so that DDP's forward (which drives its gradient
    synchronisation) is the whole loss computation, whatever submodules an objective calls."""

    def __init__(self, model: nn.Module, objectives: dict[str, Objective]) -> None:
        super().__init__()
        self.model = model
        self.objectives = objectives

    def forward(self, task: str, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.objectives[task].loss(self.model, batch)


class Trainer:
    """Holds one run's moving parts; `fit()` runs (or resumes) it to the end."""

    def __init__(
        self,
        model: torch.nn.Module,
        objectives: list[Objective],
        run: TrainingRun,
        seed: int,
        state_dir: str | Path,
        run_name: str = "",
        on_step: Callable[[int], None] | None = None,
        select_on: tuple[str, ...] | None = None,
    ) -> None:
        seed_everything(seed)
        self.run, self.recipe, self.seed, self.on_step = run, run.recipe, seed, on_step
        self.objectives = {o.name: o for o in objectives}
        # the objectives whose mean dev score picks the best step (all, unless told): a
        # co-trained masked LM is scored on dev and logged, but does not choose the checkpoint
        self.select_on = select_on or tuple(self.objectives)
        unknown = set(self.select_on) - set(self.objectives)
        if unknown:
            raise ValueError(f"select_on names no objective of the run: {sorted(unknown)}")
        self.state_dir = Path(state_dir)
        self.fingerprint = fingerprint(run, objectives, seed, run_name)
        self.accelerator = _accelerator(find_unused_parameters=len(objectives) > 1)
        if self.accelerator.distributed_type.value == "FSDP":
            raise ValueError(
                "accelerate's own FSDP configs are not used by this loop: launch with"
                " configs/accelerate/ddp.yaml and set fsdp: true under execution.<phase> in"
                " params.yaml to shard the model"
            )
        self.device = self.accelerator.device
        execution = run.execution
        hardware.configure_determinism(self.device, execution.deterministic_cuda)
        self.rank = self.accelerator.process_index
        self.processes = self.accelerator.num_processes
        if self.device.type == "cuda":  # dropout differs across GPUs; the CPU stream is shared
            torch.cuda.manual_seed(derive_seed("dropout", seed, self.rank))
        self.micro_steps = accumulation_steps(
            run.recipe.batch_size, execution.per_device_batch_size, self.processes
        )
        self.precision = resolve_precision(run.recipe.precision, self.device)
        self.parallel = parallel.choose(
            execution.fsdp, execution.compile, self.accelerator, self.precision
        )
        self.model, self.optimizer = self._prepare(model)
        self.scheduler = get_linear_schedule_with_warmup(
            self.optimizer.optimizer,
            num_warmup_steps=int(run.recipe.warmup_ratio * run.steps),
            num_training_steps=run.steps,
        )
        self.sampler = MultiTaskSampler(
            {o.name: o.size for o in objectives},
            seed,
            run.sampler.strategy,
            run.sampler.temperature,
            run.sampler.cap,
        )
        self.streams = {o.name: self._stream(o) for o in objectives}
        self.step, self.best_step, self.best_score = 0, 0, -math.inf
        self.best_scores: dict[str, float] = {}
        self.best_weights: dict[str, torch.Tensor] | None = None  # a `parallel` snapshot
        self.evals_without_improvement = 0
        self.history: list[dict[str, Any]] = []
        self.loss_sum = torch.zeros((), dtype=torch.float64, device=self.device)
        self.loss_count = 0
        self.finished: nn.Module | None = None

    def _prepare(self, model: nn.Module) -> tuple[nn.Module, Any]:
        """Wrap the model for the processes (DDP or FSDP), then build the optimizer over the
        parameters the wrapped model trains (sharded ones under FSDP)."""
        execution, recipe = self.run.execution, self.recipe
        if execution.gradient_checkpointing:
            hardware.enable_gradient_checkpointing(model)
        hardware.maybe_compile(model, execution.compile, self.device)
        wrapped = self.parallel.wrap(LossRunner(model, self.objectives))
        inner = self.parallel.inner(wrapped)
        optimizer = hardware.adamw(
            _param_groups(inner, recipe.weight_decay),
            recipe.lr,
            recipe.adam_eps,
            self.device,
        )
        return wrapped, self.parallel.prepare_optimizer(optimizer)

    def _stream(self, objective: Objective) -> BatchStream:
        lengths = objective.lengths() if self.recipe.group_by_length else None
        batch_size = self.recipe.batch_size
        return BatchStream(objective.size, batch_size, self.seed, objective.name, lengths)

    @property
    def raw_model(self) -> torch.nn.Module:
        """The model being trained, unwrapped (under FSDP its parameters are shards); after
        `fit` a plain model holding the best weights."""
        if self.finished is not None:
            return self.finished
        return self.parallel.inner(self.model)

    # --- resumable state ------------------------------------------------------------------
    def _meta(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "step": self.step,
            "best_step": self.best_step,
            "best_score": self.best_score,
            "best_scores": self.best_scores,
            "evals_without_improvement": self.evals_without_improvement,
            "history": self.history,
            "loss": [self._global_loss_sum(), self.loss_count],
            "scheduler": self.scheduler.state_dict(),
            "sampler": self.sampler.state_dict(),
            "streams": {name: s.state_dict() for name, s in self.streams.items()},
            "python_rng": list(random.getstate()[1]),
        }

    def save(self) -> None:
        """Every process takes part in gathering the state (the loss sum, and the shards under
        FSDP); the main one writes it."""
        meta = self._meta()
        gather = self.parallel.gather
        model = gather(self.raw_model.state_dict())
        best = gather(self.best_weights) if self.best_weights is not None else None
        optimizer = self.parallel.gather_optimizer(self.optimizer.optimizer)
        if is_main_process():
            assert model is not None and optimizer is not None
            save_state(self.state_dir, model, optimizer, best, meta)
        self.accelerator.wait_for_everyone()

    def try_resume(self) -> int | None:
        if not has_state(self.state_dir):
            return None
        meta = json.loads((self.state_dir / "state.json").read_text(encoding="utf-8"))
        if meta.get("fingerprint") != self.fingerprint:
            log.warning("ignoring resume state in %s: it belongs to another run", self.state_dir)
            return None
        saved = load_state(self.state_dir)
        split = self.parallel.split
        self.parallel.restore(self.model, split(self.model, saved.model))
        self.parallel.load_optimizer(self.optimizer.optimizer, saved.optimizer)
        self.best_weights = split(self.model, saved.best) if saved.best is not None else None
        meta = saved.meta
        self.step, self.best_step = meta["step"], meta["best_step"]
        self.best_score, self.best_scores = meta["best_score"], meta["best_scores"]
        self.evals_without_improvement = meta["evals_without_improvement"]
        self.history = meta["history"]
        loss_sum, self.loss_count = meta["loss"]  # the sum over processes: the main one keeps it
        loss_sum = loss_sum if self.rank == 0 else 0.0
        self.loss_sum = torch.tensor(loss_sum, dtype=torch.float64, device=self.device)
        self.scheduler.load_state_dict(meta["scheduler"])
        self.sampler.load_state_dict(meta["sampler"])
        for name, stream in self.streams.items():
            stream.load_state_dict(meta["streams"][name])
        random.setstate((3, tuple(meta["python_rng"]), None))
        log.info("resumed from step %d (%s)", self.step, self.state_dir)
        return self.step

    # --- the loop -------------------------------------------------------------------------
    def train_step(self) -> None:
        task = self.sampler.next_task()
        objective = self.objectives[task]
        batch = objective.batch(self.streams[task].next_indices())
        chunks = chunks_for_process(
            batch, objective.weights(batch), self.rank, self.processes, self.micro_steps
        )
        self.model.train()
        step_loss = torch.zeros((), dtype=torch.float64, device=self.device)
        for number, chunk in enumerate(chunks):
            inputs = {k: self._to_device(v) for k, v in chunk.batch.items()}
            last = number == len(chunks) - 1
            sync = self.parallel.sync_gradients(self.model, last)
            with sync, autocast(self.precision, self.device):
                loss = self.model(task, inputs) * chunk.scale
            # DDP averages gradients over processes; the chunk scales already sum to one
            self.accelerator.backward(loss * self.processes if self.processes > 1 else loss)
            step_loss += loss.detach().double()
        self.parallel.clip_grad_norm(self.model, self.recipe.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.loss_sum += step_loss
        self.loss_count += 1
        self.step += 1

    def _to_device(self, tensor: torch.Tensor) -> torch.Tensor:
        if self.device.type == "cuda":
            return tensor.pin_memory().to(self.device, non_blocking=True)
        return tensor

    def _global_loss_sum(self) -> float:
        """Training loss summed since the last evaluation, over all processes (a host sync)."""
        total = self.loss_sum
        if self.processes > 1:
            total = self.accelerator.reduce(total.clone(), reduction="sum")
        return float(total)

    def _dev_scores(self) -> dict[str, float]:
        scores = {}
        for name, objective in self.objectives.items():
            with self.parallel.evaluation(self.model):
                counts = objective.evaluate(
                    self.raw_model, self.rank, self.processes, self.precision
                )
            if self.processes > 1:
                summed = torch.tensor(counts, dtype=torch.float64, device=self.device)
                counts = tuple(self.accelerator.reduce(summed, reduction="sum").tolist())
            correct, total = counts
            scores[name] = correct / total if total else 0.0
        return scores

    def evaluate(self) -> bool:
        """Score every task on dev; keep the best weights. Returns True to stop early."""
        scores = self._dev_scores()
        score = sum(scores[name] for name in self.select_on) / len(self.select_on)
        entry = {
            "step": self.step,
            "train_loss": self._global_loss_sum() / max(self.loss_count, 1),
            "lr": self.scheduler.get_last_lr()[0],
            "dev": scores,
            "dev_mean": score,
        }
        self.history.append(entry)
        self.loss_sum.zero_()
        self.loss_count = 0
        log.info("step %d: %s", self.step, json.dumps(entry))
        if score > self.best_score:
            self.best_score, self.best_scores, self.best_step = score, scores, self.step
            self.best_weights = self.parallel.snapshot(self.model)
            self.evals_without_improvement = 0
        else:
            self.evals_without_improvement += 1
        patience = self.recipe.patience
        return patience is not None and self.evals_without_improvement >= patience

    def fit(self) -> TrainResult:
        resumed = self.try_resume()
        run, patience = self.run, self.recipe.patience
        bar = tqdm(
            total=run.steps,
            initial=self.step,
            desc="train",
            unit="step",
            mininterval=2.0,
            leave=False,
            disable=not is_main_process() or None,
        )
        stopped = self.step >= run.steps or (
            patience is not None and self.evals_without_improvement >= patience
        )
        while not stopped:
            self.train_step()
            bar.update(1)
            if self.step % run.execution.log_every == 0:
                bar.set_postfix(loss=f"{float(self.loss_sum) / max(self.loss_count, 1):.4f}")
            last = self.step >= run.steps
            if self.step % run.eval_every == 0 or last:
                stopped = self.evaluate() or last
            if self.step % self.recipe.checkpoint_every == 0 and not stopped:
                self.save()
            if self.on_step is not None:
                self.on_step(self.step)
        bar.close()
        if self.best_weights is not None:
            self.parallel.restore(self.model, self.best_weights)
        self.finished = self.parallel.plain_model(self.model)
        return TrainResult(
            steps=self.step,
            best_step=self.best_step,
            best_score=self.best_score,
            best_scores=self.best_scores,
            task_counts=dict(self.sampler.counts),
            history=self.history,
            resumed_from=resumed,
        )

    def clear_state(self) -> None:
        self.accelerator.wait_for_everyone()
        if is_main_process():
            shutil.rmtree(self.state_dir, ignore_errors=True)
