"""How the model is spread over the training processes: replicated or sharded.

`Replicated` is one process, or DDP through accelerate (every process holds the whole model).
`Sharded` is FSDP2 (torch's `fully_shard`): parameters, gradients and optimizer moments are
split across processes, each repeated block (every child of an `nn.ModuleList`, i.e. each
transformer layer) its own unit, the rest (embeddings, heads) one root unit. It is for GPUs
too small for a replica plus its gradients and AdamW moments (about 9 GB for XLM-R Large).

Both write resume state in one form: model weights keyed like the plain model's state dict and
optimizer state keyed by parameter index, as whole (unsharded) tensors, gathered onto the main
process (the only writer) and split again on load. So a run may resume under the other strategy
or another process count, and a finished sharded run gives back an ordinary model that
`save_pretrained` can write. In memory, best-weight snapshots stay in the strategy's own layout
(local shards under FSDP), so keeping them costs 1/W of the model per process.
"""

from __future__ import annotations

import abc
import contextlib
import copy
from collections.abc import Iterator
from typing import Any

import torch
from accelerate import Accelerator
from torch import nn
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import FSDPModule, MixedPrecisionPolicy, fully_shard
from torch.distributed.tensor import DTensor, distribute_tensor

State = dict[str, torch.Tensor]


class Parallelism(abc.ABC):
    """What the training loop asks of a strategy; `wrapped` is the module `wrap` returned.
    Methods that gather or split tensors are collectives: every process calls them, in the
    same order. The optimizer and best-weight snapshots (the model's own state dict, in the
    strategy's layout) are handled alike by both strategies."""

    def __init__(self, accelerator: Accelerator) -> None:
        self.accelerator = accelerator

    def prepare_optimizer(self, optimizer: torch.optim.Optimizer) -> Any:
        return self.accelerator.prepare(optimizer)

    def snapshot(self, wrapped: nn.Module) -> State:
        return {k: v.detach().clone() for k, v in self.inner(wrapped).state_dict().items()}

    def restore(self, wrapped: nn.Module, snapshot: State) -> None:
        self.inner(wrapped).load_state_dict(snapshot)

    @abc.abstractmethod
    def wrap(self, runner: nn.Module) -> nn.Module: ...
    @abc.abstractmethod
    def inner(self, wrapped: nn.Module) -> nn.Module: ...
    @abc.abstractmethod
    def sync_gradients(
        self, wrapped: nn.Module, last: bool
    ) -> contextlib.AbstractContextManager: ...
    @abc.abstractmethod
    def clip_grad_norm(self, wrapped: nn.Module, max_norm: float) -> None: ...
    @abc.abstractmethod
    def evaluation(self, wrapped: nn.Module) -> contextlib.AbstractContextManager: ...
    @abc.abstractmethod
    def gather(self, state: State) -> State | None: ...
    @abc.abstractmethod
    def split(self, wrapped: nn.Module, full: State) -> State: ...
    @abc.abstractmethod
    def gather_optimizer(self, optimizer: torch.optim.Optimizer) -> dict[str, Any] | None: ...
    @abc.abstractmethod
    def load_optimizer(self, optimizer: torch.optim.Optimizer, full: dict[str, Any]) -> None: ...
    @abc.abstractmethod
    def plain_model(self, wrapped: nn.Module) -> nn.Module: ...


class Replicated(Parallelism):
    """One process, or DDP via `accelerator.prepare`: every process holds the same whole
    model, so nothing is gathered; the main process's tensors are written as they are."""

    def wrap(self, runner: nn.Module) -> nn.Module:
        return self.accelerator.prepare(runner.to(self.accelerator.device))

    def inner(self, wrapped: nn.Module) -> nn.Module:
        return self.accelerator.unwrap_model(wrapped).model

    def sync_gradients(self, wrapped: nn.Module, last: bool) -> contextlib.AbstractContextManager:
        """All-reduce gradients only after the last micro-batch of a step."""
        return contextlib.nullcontext() if last else self.accelerator.no_sync(wrapped)

    def clip_grad_norm(self, wrapped: nn.Module, max_norm: float) -> None:
        self.accelerator.clip_grad_norm_(wrapped.parameters(), max_norm)

    def evaluation(self, wrapped: nn.Module) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()

    def gather(self, state: State) -> State | None:
        return state if self.accelerator.is_main_process else None

    def split(self, wrapped: nn.Module, full: State) -> State:
        return full

    def gather_optimizer(self, optimizer: torch.optim.Optimizer) -> dict[str, Any] | None:
        return optimizer.state_dict() if self.accelerator.is_main_process else None

    def load_optimizer(self, optimizer: torch.optim.Optimizer, full: dict[str, Any]) -> None:
        optimizer.load_state_dict(full)

    def plain_model(self, wrapped: nn.Module) -> nn.Module:
        return self.inner(wrapped)


class Sharded(Parallelism):
    """FSDP2 over all processes. A copy of the caller's model is sharded (`fully_shard` moves
    each unit to the device as it shards it, so no process ever holds two whole copies on its
    GPU); the caller's model waits on the CPU, and `plain_model` loads the trained weights
    into it.

    Gradients are reduce-scattered after every micro-batch (sharded gradients accumulate,
    which is what saves memory); FSDP averages them over processes, as DDP does. Under bf16
    precision each unit's parameters are all-gathered and computed in bf16 (half the traffic
    and memory of fp32), gradients are reduced in fp32, and the sharded parameters and AdamW
    moments stay fp32, as under autocast."""

    def __init__(self, accelerator: Accelerator, precision: str) -> None:
        super().__init__(accelerator)
        self.device = accelerator.device
        self.mesh = init_device_mesh(self.device.type, (accelerator.num_processes,))
        self.original: nn.Module | None = None
        self.policy = MixedPrecisionPolicy()
        if precision == "bf16":
            self.policy = MixedPrecisionPolicy(
                param_dtype=torch.bfloat16, reduce_dtype=torch.float32
            )

    def wrap(self, runner: nn.Module) -> nn.Module:
        self.original = runner.model.to("cpu")
        runner.model = copy.deepcopy(self.original)
        blocks = [m for lst in runner.modules() if isinstance(lst, nn.ModuleList) for m in lst]
        for block in reversed(blocks):  # innermost first, as FSDP requires for nested units
            fully_shard(block, mesh=self.mesh, mp_policy=self.policy)
        return fully_shard(runner, mesh=self.mesh, mp_policy=self.policy)

    def inner(self, wrapped: nn.Module) -> nn.Module:
        return wrapped.model

    def sync_gradients(self, wrapped: nn.Module, last: bool) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()

    def clip_grad_norm(self, wrapped: nn.Module, max_norm: float) -> None:
        torch.nn.utils.clip_grad_norm_(wrapped.parameters(), max_norm)

    @contextlib.contextmanager
    def evaluation(self, wrapped: nn.Module) -> Iterator[None]:
        """Evaluation calls the inner model (or its submodules) directly, so the root unit's
        parameters are gathered here; each layer unit gathers its own in its forward."""
        assert isinstance(wrapped, FSDPModule)
        wrapped.unshard()
        try:
            yield
        finally:
            wrapped.reshard()

    def gather(self, state: State) -> State | None:
        main = self.accelerator.is_main_process
        full = {k: _full(v, keep=main) for k, v in sorted(state.items())}
        return full if main else None

    def split(self, wrapped: nn.Module, full: State) -> State:
        current = self.inner(wrapped).state_dict()
        return {k: _shard_like(v, current[k]) for k, v in full.items()}

    def gather_optimizer(self, optimizer: torch.optim.Optimizer) -> dict[str, Any] | None:
        main = self.accelerator.is_main_process
        state = optimizer.state_dict()
        full = {
            index: {k: _full(v, keep=main) for k, v in sorted(state["state"][index].items())}
            for index in sorted(state["state"])
        }
        return {"state": full, "param_groups": state["param_groups"]} if main else None

    def load_optimizer(self, optimizer: torch.optim.Optimizer, full: dict[str, Any]) -> None:
        params = [p for group in optimizer.param_groups for p in group["params"]]
        sharded = {
            index: {k: _shard_like(v, params[index]) for k, v in entries.items()}
            for index, entries in full["state"].items()
        }
        optimizer.load_state_dict({"state": sharded, "param_groups": full["param_groups"]})

    def plain_model(self, wrapped: nn.Module) -> nn.Module:
        """The caller's model with the trained weights, on the device, on every process."""
        assert self.original is not None
        state = self.inner(wrapped).state_dict()
        self.original.load_state_dict({k: _full(v, keep=True) for k, v in state.items()})
        return self.original.to(self.device)


def _full(value: torch.Tensor, keep: bool) -> torch.Tensor | None:
    """A whole CPU copy of a (possibly sharded) tensor, where `keep`; sharded tensors are
    gathered on every process (a collective) whether or not it keeps the result."""
    if isinstance(value, DTensor):
        value = value.full_tensor()
    return value.detach().to("cpu", copy=True) if keep else None


def _shard_like(value: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """`value` (a whole tensor that every process holds) split as `like` is, without
    communication. Tensors of another shape (an optimizer's step count) stay whole."""
    if not isinstance(like, DTensor) or value.shape != like.shape:
        return value
    local = value.to(like.device_mesh.device_type)
    return distribute_tensor(local, like.device_mesh, like.placements, src_data_rank=None)


def choose(
    fsdp: bool, compile_model: bool, accelerator: Accelerator, precision: str = "fp32"
) -> Parallelism:
    """FSDP when asked and there is more than one process to shard over; DDP otherwise.
    `precision` is the resolved one (bf16 or fp32)."""
    if fsdp and compile_model:
        raise ValueError(
            "execution.compile with execution.fsdp is not supported: FSDP's hooks split a"
            " compiled model's graph at every layer; use one of them"
        )
    if fsdp and accelerator.num_processes > 1:
        return Sharded(accelerator, precision)
    return Replicated(accelerator)
