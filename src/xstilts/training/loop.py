"""The one training loop, shared by MLM pretraining, intermediate and target training.

Plain PyTorch plus accelerate (device placement, backward, clipping): one task per optimizer
step chosen by the multi-task sampler, AdamW (no decay on biases and LayerNorm), linear warmup
and decay, gradient clipping, periodic dev evaluation with early stopping on the mean dev score,
and resumable pickle-free state every `checkpoint_every` steps. On CPU a resumed run is bit for
bit the uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from accelerate import Accelerator
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from xstilts.seeding import seed_everything
from xstilts.training.batches import BatchStream
from xstilts.training.sampler import MultiTaskSampler
from xstilts.training.state import has_state, load_state, save_state

log = logging.getLogger(__name__)


class Objective(Protocol):
    name: str

    @property
    def size(self) -> int: ...
    def batch(self, indices: list[int]) -> dict[str, torch.Tensor]: ...
    def loss(self, model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor: ...
    def evaluate(self, model: Any) -> float: ...


@dataclass(frozen=True)
class LoopSettings:
    max_steps: int
    lr: float
    batch_size: int
    weight_decay: float = 0.01
    adam_eps: float = 1e-8
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    eval_every: int = 1000
    patience: int | None = None
    checkpoint_every: int = 1000
    sampler_strategy: str = "proportional"
    sampler_temperature: float = 1.0
    sampler_cap: int | None = None


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


def fingerprint(settings: LoopSettings, objectives: list[Objective], seed: int, run: str) -> str:
    """Identifies a run, so resume state from a different configuration is never reused."""
    description = {
        "settings": asdict(settings),
        "objectives": {o.name: o.size for o in objectives},
        "seed": seed,
        "run": run,
    }
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:16]


class Trainer:
    """Holds one run's moving parts; `fit()` runs (or resumes) it to the end."""

    def __init__(
        self,
        model: torch.nn.Module,
        objectives: list[Objective],
        settings: LoopSettings,
        seed: int,
        state_dir: str | Path,
        run_name: str = "",
        on_step: Callable[[int], None] | None = None,
    ) -> None:
        seed_everything(seed)
        self.settings, self.seed, self.on_step = settings, seed, on_step
        self.objectives = {o.name: o for o in objectives}
        self.state_dir = Path(state_dir)
        self.fingerprint = fingerprint(settings, objectives, seed, run_name)
        self.accelerator = Accelerator(cpu=not torch.cuda.is_available())
        optimizer = torch.optim.AdamW(
            _param_groups(model, settings.weight_decay), lr=settings.lr, eps=settings.adam_eps
        )
        self.model, self.optimizer = self.accelerator.prepare(model, optimizer)
        self.scheduler = get_linear_schedule_with_warmup(
            optimizer,
            num_warmup_steps=int(settings.warmup_ratio * settings.max_steps),
            num_training_steps=settings.max_steps,
        )
        self.sampler = MultiTaskSampler(
            {o.name: o.size for o in objectives},
            seed,
            settings.sampler_strategy,
            settings.sampler_temperature,
            settings.sampler_cap,
        )
        self.streams = {
            o.name: BatchStream(o.size, settings.batch_size, seed, o.name) for o in objectives
        }
        self.step, self.best_step, self.best_score = 0, 0, -math.inf
        self.best_scores: dict[str, float] = {}
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.evals_without_improvement = 0
        self.history: list[dict[str, Any]] = []
        self.loss_sum, self.loss_count = 0.0, 0

    @property
    def raw_model(self) -> torch.nn.Module:
        return self.accelerator.unwrap_model(self.model)

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
            "loss": [self.loss_sum, self.loss_count],
            "scheduler": self.scheduler.state_dict(),
            "sampler": self.sampler.state_dict(),
            "streams": {name: s.state_dict() for name, s in self.streams.items()},
            "python_rng": list(random.getstate()[1]),
        }

    def save(self) -> None:
        save_state(
            self.state_dir,
            self.raw_model,
            self.optimizer.optimizer,
            self.best_weights,
            self._meta(),
        )

    def try_resume(self) -> int | None:
        if not has_state(self.state_dir):
            return None
        meta = json.loads((self.state_dir / "state.json").read_text(encoding="utf-8"))
        if meta.get("fingerprint") != self.fingerprint:
            log.warning("ignoring resume state in %s: it belongs to another run", self.state_dir)
            return None
        self.best_weights, meta = load_state(
            self.state_dir, self.raw_model, self.optimizer.optimizer
        )
        self.step, self.best_step = meta["step"], meta["best_step"]
        self.best_score, self.best_scores = meta["best_score"], meta["best_scores"]
        self.evals_without_improvement = meta["evals_without_improvement"]
        self.history = meta["history"]
        self.loss_sum, self.loss_count = meta["loss"]
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
        batch = self.objectives[task].batch(self.streams[task].next_indices())
        batch = {k: v.to(self.accelerator.device) for k, v in batch.items()}
        self.model.train()
        loss = self.objectives[task].loss(self.model, batch)
        self.accelerator.backward(loss)
        self.accelerator.clip_grad_norm_(self.model.parameters(), self.settings.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.loss_sum += loss.item()
        self.loss_count += 1
        self.step += 1

    def evaluate(self) -> bool:
        """Score every task on dev; keep the best weights. Returns True to stop early."""
        scores = {name: o.evaluate(self.raw_model) for name, o in self.objectives.items()}
        score = sum(scores.values()) / len(scores)
        entry = {
            "step": self.step,
            "train_loss": self.loss_sum / max(self.loss_count, 1),
            "lr": self.scheduler.get_last_lr()[0],
            "dev": scores,
            "dev_mean": score,
        }
        self.history.append(entry)
        self.loss_sum, self.loss_count = 0.0, 0
        log.info("step %d: %s", self.step, json.dumps(entry))
        if score > self.best_score:
            self.best_score, self.best_scores, self.best_step = score, scores, self.step
            self.best_weights = {
                k: v.detach().clone() for k, v in self.raw_model.state_dict().items()
            }
            self.evals_without_improvement = 0
        else:
            self.evals_without_improvement += 1
        patience = self.settings.patience
        return patience is not None and self.evals_without_improvement >= patience

    def fit(self) -> TrainResult:
        resumed = self.try_resume()
        settings = self.settings
        bar = tqdm(
            total=settings.max_steps,
            initial=self.step,
            desc="train",
            unit="step",
            mininterval=2.0,
            leave=False,
        )
        stopped = self.step >= settings.max_steps or (
            settings.patience is not None and self.evals_without_improvement >= settings.patience
        )
        while not stopped:
            self.train_step()
            bar.update(1)
            last = self.step >= settings.max_steps
            if self.step % settings.eval_every == 0 or last:
                stopped = self.evaluate() or last
            if self.step % settings.checkpoint_every == 0 and not stopped:
                self.save()
            if self.on_step is not None:
                self.on_step(self.step)
        bar.close()
        if self.best_weights is not None:
            self.raw_model.load_state_dict(self.best_weights)
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
        shutil.rmtree(self.state_dir, ignore_errors=True)
