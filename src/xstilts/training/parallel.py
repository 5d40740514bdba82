"""How the model is spread over the training processes: replicated or sharded.

`Replicated` is one process, or DDP through accelerate (every process holds the whole model).
`Sharded` is FSDP2 (torch's `fully_shard`): parameters, gradients and optimizer moments are
split across processes, each repeated block (every child of an `nn.ModuleList`, i.e. each
transformer layer) its own unit, the rest (embeddings, heads) one root unit. It is for models
whose replicas do not fit a GPU, e.g. XLM-R Large with long inputs on 40 GB cards.

Both hand out the same full-state view: model weights keyed like the plain model's state dict
and optimizer state keyed by parameter index, as plain (unsharded) tensors. Resume state is
written in that form, so a run may resume under the other strategy or another process count,
and a finished sharded run gives back an ordinary model that `save_pretrained` can write.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any, Protocol

import torch
from accelerate import Accelerator
from torch import nn
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import FSDPModule, fully_shard
from torch.distributed.tensor import DTensor, distribute_tensor

State = dict[str, torch.Tensor]


class Parallelism(Protocol):
    """What the training loop asks of a strategy; `wrapped` is the module `wrap` returned."""

    def wrap(self, runner: nn.Module) -> nn.Module: ...
    def inner(self, wrapped: nn.Module) -> nn.Module: ...
    def prepare_optimizer(self, optimizer: torch.optim.Optimizer) -> Any: ...
    def sync_gradients(
        self, wrapped: nn.Module, last: bool
    ) -> contextlib.AbstractContextManager: ...
    def clip_grad_norm(self, wrapped: nn.Module, max_norm: float) -> None: ...
    def evaluation(self, wrapped: nn.Module) -> contextlib.AbstractContextManager: ...
    def model_state(self, wrapped: nn.Module) -> State: ...
    def load_model_state(self, wrapped: nn.Module, state: State) -> None: ...
    def optimizer_state(self, optimizer: torch.optim.Optimizer) -> dict[str, Any]: ...
    def load_optimizer_state(self, optimizer: torch.optim.Optimizer, state: dict) -> None: ...
    def plain_model(self, wrapped: nn.Module) -> nn.Module: ...


class Replicated:
    """One process, or DDP via `accelerator.prepare`: the loop as it has always run."""

    def __init__(self, accelerator: Accelerator) -> None:
        self.accelerator = accelerator

    def wrap(self, runner: nn.Module) -> nn.Module:
        return self.accelerator.prepare(runner)

    def inner(self, wrapped: nn.Module) -> nn.Module:
        return self.accelerator.unwrap_model(wrapped).model

    def prepare_optimizer(self, optimizer: torch.optim.Optimizer) -> Any:
        return self.accelerator.prepare(optimizer)

    def sync_gradients(self, wrapped: nn.Module, last: bool) -> contextlib.AbstractContextManager:
        """All-reduce gradients only after the last micro-batch of a step."""
        return contextlib.nullcontext() if last else self.accelerator.no_sync(wrapped)

    def clip_grad_norm(self, wrapped: nn.Module, max_norm: float) -> None:
        self.accelerator.clip_grad_norm_(wrapped.parameters(), max_norm)

    def evaluation(self, wrapped: nn.Module) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()

    def model_state(self, wrapped: nn.Module) -> State:
        return {k: v.detach().clone() for k, v in self.inner(wrapped).state_dict().items()}

    def load_model_state(self, wrapped: nn.Module, state: State) -> None:
        self.inner(wrapped).load_state_dict(state)

    def optimizer_state(self, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
        return optimizer.state_dict()

    def load_optimizer_state(self, optimizer: torch.optim.Optimizer, state: dict) -> None:
        optimizer.load_state_dict(state)

    def plain_model(self, wrapped: nn.Module) -> nn.Module:
        return self.inner(wrapped)


class Sharded:
    """FSDP2 over all processes. The caller's model is left whole (on `device`) and a copy is
    sharded; `plain_model` loads the trained weights back into the caller's model.

    Gradients are reduce-scattered after every micro-batch (sharded gradients accumulate,
    which is what saves memory); FSDP averages them over processes, as DDP does. Every full
    tensor is gathered with collectives in the same order on every process."""

    def __init__(self, accelerator: Accelerator) -> None:
        self.accelerator = accelerator
        self.device = accelerator.device
        self.mesh = init_device_mesh(self.device.type, (accelerator.num_processes,))
        self.original: nn.Module | None = None

    def wrap(self, runner: nn.Module) -> nn.Module:
        """Shards a copy of `runner.model`; the original waits on the CPU for `plain_model`."""
        self.original = runner.model
        runner.model = copy.deepcopy(runner.model).to(self.device)
        self.original.to("cpu")
        blocks = [m for lst in runner.modules() if isinstance(lst, nn.ModuleList) for m in lst]
        for block in blocks:
            fully_shard(block, mesh=self.mesh)
        return fully_shard(runner, mesh=self.mesh)

    def inner(self, wrapped: nn.Module) -> nn.Module:
        return wrapped.model

    def prepare_optimizer(self, optimizer: torch.optim.Optimizer) -> Any:
        return self.accelerator.prepare(optimizer)

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

    def model_state(self, wrapped: nn.Module) -> State:
        return {k: _full(v) for k, v in self.inner(wrapped).state_dict().items()}

    def load_model_state(self, wrapped: nn.Module, state: State) -> None:
        model = self.inner(wrapped)
        current = model.state_dict()
        model.load_state_dict({k: _shard_like(v, current[k]) for k, v in state.items()})

    def optimizer_state(self, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
        state = optimizer.state_dict()
        full = {i: {k: _full(v) for k, v in s.items()} for i, s in state["state"].items()}
        return {"state": full, "param_groups": state["param_groups"]}

    def load_optimizer_state(self, optimizer: torch.optim.Optimizer, state: dict) -> None:
        params = [p for group in optimizer.param_groups for p in group["params"]]
        sharded = {
            index: {k: _shard_like(v, params[index]) for k, v in entries.items()}
            for index, entries in state["state"].items()
        }
        optimizer.load_state_dict({"state": sharded, "param_groups": state["param_groups"]})

    def plain_model(self, wrapped: nn.Module) -> nn.Module:
        assert self.original is not None
        self.original.load_state_dict(self.model_state(wrapped))
        return self.original.to(self.device)


def _full(value: torch.Tensor) -> torch.Tensor:
    """A plain CPU copy of a (possibly sharded) tensor; a collective for sharded ones."""
    if isinstance(value, DTensor):
        value = value.full_tensor()
    return value.detach().to("cpu", copy=True)


def _shard_like(value: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """`value` (a full tensor every process holds) split as `like` is; scalars stay whole."""
    if not isinstance(like, DTensor) or value.shape != like.shape:
        return value
    local = value.to(like.device_mesh.device_type)
    return distribute_tensor(local, like.device_mesh, like.placements, src_data_rank=None)


def choose(fsdp: bool, accelerator: Accelerator) -> Parallelism:
    """FSDP when asked and there is more than one process to shard over; DDP otherwise."""
    if fsdp and accelerator.num_processes > 1:
        return Sharded(accelerator)
    return Replicated(accelerator)
