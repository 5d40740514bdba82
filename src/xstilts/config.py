"""The typed, validated parameter tree loaded from params.yaml.

Every default lives here, once. `load_params` turns any validation problem into a single
`XstiltsError` line that names the offending key and what is allowed, before any compute starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from xstilts.errors import XstiltsError
from xstilts.sample.config import SampleWorldConfig

PROFILES = ("sample", "full")
PositiveInt = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


class Section(BaseModel):
    """Base of every section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Precision = Literal["auto", "bf16", "fp32"]


class ExecutionConfig(Section):
    """How a training run uses the hardware. None of these keys changes the optimisation
    problem: the global batch stays `batch_size`, split into per-device micro-batches with
    gradient accumulation. On CPU the defaults reproduce the plain fp32 loop bit for bit."""

    per_device_batch_size: PositiveInt | None = None  # None: the whole global batch at once
    precision: Precision = "auto"  # auto: bf16 autocast on CUDA GPUs that support it, else fp32
    group_by_length: bool = False  # seeded mega-batches sorted by length: less padding
    compile: bool = False  # torch.compile the model (CUDA only; first steps are slow)
    gradient_checkpointing: bool = False  # recompute activations: XLM-R Large at long lengths
    log_every: PositiveInt = 50  # steps between progress-bar loss updates (a host-device sync)


class SamplerConfig(Section):
    """How a multi-task run picks the task of each optimizer step."""

    strategy: Literal["proportional", "temperature", "capped", "uniform"] = "proportional"
    temperature: PositiveFloat = 1.0  # p_i ~ n_i ** (1 / T); T=1 is proportional
    cap: PositiveInt | None = None  # "capped": sizes above this count as the cap


class TrainingConfig(Section):
    """One fine-tuning recipe (intermediate or target phase)."""

    lr: PositiveFloat = 1e-5
    weight_decay: Annotated[float, Field(ge=0)] = 0.01
    adam_eps: PositiveFloat = 1e-8
    warmup_ratio: Fraction = 0.1
    max_grad_norm: PositiveFloat = 1.0
    batch_size: PositiveInt = 32  # global batch size (all processes together)
    epochs: PositiveFloat | None = None
    max_steps: PositiveInt | None = None
    max_length: PositiveInt = 256
    max_length_overrides: dict[str, PositiveInt] = {}  # per task, e.g. race: 512
    eval_every: PositiveInt = 1000
    patience: PositiveInt | None = None  # evaluations without improvement before stopping
    checkpoint_every: PositiveInt = 1000  # resume state written every this many steps
    eval_batch_size: PositiveInt = 128
    dropout: Fraction | None = None  # None keeps the encoder's own setting
    sampler: SamplerConfig = SamplerConfig()  # multi-task runs only
    execution: ExecutionConfig = ExecutionConfig()

    @model_validator(mode="after")
    def _one_length(self) -> TrainingConfig:
        if (self.epochs is None) == (self.max_steps is None):
            raise ValueError("set exactly one of 'epochs' or 'max_steps'")
        return self

    def max_length_for(self, task: str) -> int:
        return self.max_length_overrides.get(task, self.max_length)


class TokenizerConfig(Section):
    vocab_size: PositiveInt = 4000


class ArchitectureConfig(Section):
    """XLM-R architecture of the tiny sample-profile model (transformers' XLMRobertaConfig)."""

    hidden_size: PositiveInt = 128
    num_hidden_layers: PositiveInt = 4
    num_attention_heads: PositiveInt = 4
    intermediate_size: PositiveInt = 512
    max_position_embeddings: PositiveInt = 258
    hidden_dropout_prob: Fraction = 0.1
    attention_probs_dropout_prob: Fraction = 0.1

    @model_validator(mode="after")
    def _heads_divide(self) -> ArchitectureConfig:
        if self.hidden_size % self.num_attention_heads:
            raise ValueError("hidden_size must be divisible by num_attention_heads")
        return self


class PretrainConfig(Section):
    """Masked-LM pretraining of the sample-profile base model."""

    max_steps: PositiveInt = 2000
    batch_size: PositiveInt = 64
    lr: PositiveFloat = 1e-3
    warmup_ratio: Fraction = 0.05
    weight_decay: Annotated[float, Field(ge=0)] = 0.01
    max_grad_norm: PositiveFloat = 1.0
    max_length: PositiveInt = 96
    mask_prob: Annotated[float, Field(gt=0, lt=1)] = 0.15
    eval_every: PositiveInt = 500
    checkpoint_every: PositiveInt = 500
    seed: int = 0
    execution: ExecutionConfig = ExecutionConfig()


class BaseConfig(Section):
    """Where the pretrained multilingual encoder comes from."""

    source: Literal["pretrain", "hub"] = "pretrain"
    hub_model: str = "FacebookAI/xlm-roberta-large"
    hub_revision: str = "c23d21b0620b635a76227c604d44e43a9f0ee389"  # pinned commit
    tokenizer: TokenizerConfig = TokenizerConfig()
    architecture: ArchitectureConfig = ArchitectureConfig()
    pretrain: PretrainConfig = PretrainConfig()


class DataConfig(Section):
    root: str = "data"  # the sample world (tracked by data.dvc)
    max_train_examples: PositiveInt | None = None  # subsample every training split
    max_eval_examples: PositiveInt | None = None  # subsample every dev/test split
    languages: tuple[str, ...] | None = None  # restrict target languages (None = all)


class TargetConfig(Section):
    training: TrainingConfig = TrainingConfig(epochs=2)
    overrides: dict[str, dict[str, Any]] = {}  # per target task, keys of TrainingConfig

    def training_for(self, task: str) -> TrainingConfig:
        """The shared recipe with the task's overrides; an override of `epochs` replaces a
        shared `max_steps` and vice versa."""
        override = self.overrides.get(task, {})
        merged = self.training.model_dump()
        if "epochs" in override or "max_steps" in override:
            merged.update(epochs=None, max_steps=None)
        return TrainingConfig(**{**merged, **override})


class EvaluateConfig(Section):
    batch_size: PositiveInt = 128
    precision: Precision = "auto"  # bf16 autocast on CUDA GPUs that support it, else fp32


class Params(Section):
    """The whole params.yaml. Every section is required (a missing one is an error); keys
    inside a section default to the values above."""

    profile: Literal["sample", "full"]
    seeds: tuple[int, ...]
    conditions: dict[str, tuple[str, ...]]  # condition -> intermediate tasks; 'none' = baseline
    targets: tuple[str, ...]
    data: DataConfig
    sample_world: SampleWorldConfig  # the generator's own config, validated here
    base: BaseConfig
    intermediate: TrainingConfig
    target: TargetConfig
    evaluate: EvaluateConfig

    @model_validator(mode="after")
    def _known_tasks(self) -> Params:
        from xstilts.tasks import intermediate_task_names, target_task_names

        known_inter, known_target = intermediate_task_names(), target_task_names()
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError("'seeds' must be a non-empty list of distinct integers")
        if "none" not in self.conditions:
            raise ValueError("'conditions' must include the baseline 'none: []'")
        for condition, tasks in self.conditions.items():
            for task in tasks:
                if task not in known_inter:
                    raise ValueError(
                        f"conditions.{condition}: unknown intermediate task '{task}'; "
                        f"known: {', '.join(known_inter)}"
                    )
            if condition != "none" and not tasks:
                raise ValueError(f"conditions.{condition}: lists no intermediate task")
        for task in self.targets:
            if task not in known_target:
                raise ValueError(
                    f"targets: unknown target task '{task}'; known: {', '.join(known_target)}"
                )
        for task in self.target.overrides:
            if task not in self.targets:
                raise ValueError(f"target.overrides.{task}: not one of targets {self.targets}")
        for task in self.target.overrides:
            self.target.training_for(task)  # surface bad override keys now
        return self

    @property
    def condition_names(self) -> tuple[str, ...]:
        return tuple(self.conditions)


def _format_error(err: ValidationError, source: str) -> str:
    """One line per problem, each naming the dotted key and what is allowed."""
    lines = []
    for problem in err.errors():
        key = ".".join(str(part) for part in problem["loc"])
        if problem["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
            lines.append(f"{source}: unknown key '{key}'{_allowed_keys(problem['loc'])}")
        elif problem["type"] == "missing":
            lines.append(f"{source}: missing key '{key}'")
        else:
            message = problem["msg"].removeprefix("Value error, ")
            shown = problem.get("input")
            value = "" if isinstance(shown, dict) else f" = {shown!r}"
            where = f"{key}{value}: " if key else ""
            lines.append(f"{source}: {where}{message}")
    return "\n".join(lines)


def _allowed_keys(loc: tuple[Any, ...]) -> str:
    """Name the keys allowed next to an unknown key, walking the model tree along `loc`."""
    model: Any = Params
    for part in loc[:-1]:
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return ""
        model = field.annotation
    fields = getattr(model, "model_fields", None) or getattr(model, "__dataclass_fields__", None)
    return f"; allowed: {', '.join(fields)}" if fields else ""


def parse_params(raw: dict[str, Any], source: str = "params.yaml") -> Params:
    """Validate a raw mapping into `Params`, or raise one `XstiltsError`."""
    if not isinstance(raw, dict):
        raise XstiltsError(f"{source}: expected a mapping at the top level")
    try:
        return Params(**raw)
    except ValidationError as err:
        raise XstiltsError(_format_error(err, source)) from None
    except TypeError as err:  # e.g. a non-string key
        raise XstiltsError(f"{source}: {err}") from None


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate params.yaml (the active profile)."""
    path = Path(path)
    if not path.exists():
        raise XstiltsError(f"{path}: not found; run from the repository root")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise XstiltsError(f"{path}: not valid YAML: {err}") from None
    return parse_params(raw, str(path))
