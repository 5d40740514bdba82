"""The typed, validated parameter tree loaded from params.yaml.

Every default lives here, once. `load_params` turns any validation problem into a single
`XstiltsError` line that names the offending key and what is allowed, before any compute starts.
"""

from __future__ import annotations

import copy
import math
import textwrap
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from xstilts.errors import XstiltsError
from xstilts.params_trace import traced_if_asked
from xstilts.sample.world_config import SampleWorldConfig
from xstilts.tasks.revisions import XLM_R_LARGE

PROFILES = ("sample", "full")
PositiveInt = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


class Section(BaseModel):
    """Base of every section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Precision = Literal["auto", "bf16", "fp32"]


class ExecutionConfig(Section):
    """How one training run uses the hardware. None of these keys changes the optimisation
    problem: the global batch stays `batch_size`, split into per-device micro-batches with
    gradient accumulation. A run may resume under other values, and DVC does not track them."""

    per_device_batch_size: PositiveInt | None = None  # None: the whole global batch at once
    compile: bool = False  # torch.compile the model (needs a C/C++ compiler; first steps slow)
    gradient_checkpointing: bool = False  # recompute activations: XLM-R Large at long lengths
    log_every: PositiveInt = 50  # steps between progress-bar loss updates (a host-device sync)
    deterministic_cuda: bool = False  # deterministic CUDA kernels too (slow); CPU ones always are
    fsdp: bool = False  # shard weights, gradients, optimizer state over processes (FSDP2)

    @model_validator(mode="after")
    def _compile_or_fsdp(self) -> ExecutionConfig:
        if self.compile and self.fsdp:
            raise ValueError("compile and fsdp cannot both be true (FSDP splits compiled graphs)")
        return self


class ExecutionSections(Section):
    """How each training phase uses the hardware: speed and memory only, never results. No
    stage lists this section in dvc.yaml and the resume fingerprint leaves it out, so changing it
    reruns nothing and a stopped run resumes under the new values."""

    base: ExecutionConfig = ExecutionConfig()  # MLM pretraining (sample profile)
    intermediate: ExecutionConfig = ExecutionConfig()
    target: ExecutionConfig = ExecutionConfig()  # every target task and train_sequence step


class SamplerConfig(Section):
    """How a multi-task run picks the task of each optimizer step."""

    strategy: Literal["proportional", "temperature", "capped", "uniform"] = "proportional"
    temperature: PositiveFloat = 1.0  # p_i ~ n_i ** (1 / T); T=1 is proportional
    cap: PositiveInt | None = None  # "capped": sizes above this count as the cap


class LoopConfig(Section):
    """What the training loop optimises and how: the settings of a run that change its result.
    The recipes below add their own keys and defaults."""

    lr: PositiveFloat = 1e-5
    weight_decay: Annotated[float, Field(ge=0)] = 0.01  # none on biases and LayerNorm
    adam_eps: PositiveFloat = 1e-8
    warmup_ratio: Fraction = 0.1  # linear warmup, then linear decay to zero
    max_grad_norm: PositiveFloat = 1.0
    batch_size: PositiveInt = 32  # global batch size (all processes together)
    eval_every: PositiveInt = 1000  # steps between dev evaluations (and one at the end)
    patience: PositiveInt | None = None  # evaluations without improvement before stopping
    checkpoint_every: PositiveInt = 1000  # resume state written every this many steps
    precision: Precision = "auto"  # auto: bf16 autocast on CUDA GPUs that support it, else fp32
    group_by_length: bool = False  # seeded mega-batches sorted by length: less padding


class SpanConfig(Section):
    """Extractive QA: how question + context become windows, and how an answer is chosen.
    XTREME's QA script (`scripts/train_qa.sh`, `third_party/run_squad.py`): windows of
    `max_length` tokens (384 there) starting every `doc_stride` tokens, questions cut to
    `max_query_length`, the best of the `n_best` start and end scores, answers of at most
    `max_answer_length` tokens."""

    doc_stride: PositiveInt = 128
    max_query_length: PositiveInt = 64
    n_best: PositiveInt = 20
    max_answer_length: PositiveInt = 30


class TrainingConfig(LoopConfig):
    """One fine-tuning recipe (intermediate or target phase)."""

    epochs: PositiveFloat | None = None
    max_steps: PositiveInt | None = None
    max_length: PositiveInt = 256
    max_length_overrides: dict[str, PositiveInt] = {}  # per task, e.g. race: 512
    eval_batch_size: PositiveInt = 128
    dropout: Fraction | None = None  # None keeps the encoder's own setting
    sampler: SamplerConfig = SamplerConfig()  # multi-task runs only
    spans: SpanConfig = SpanConfig()  # span QA tasks only

    @model_validator(mode="after")
    def _one_length(self) -> TrainingConfig:
        if (self.epochs is None) == (self.max_steps is None):
            raise ValueError("set exactly one of 'epochs' or 'max_steps'")
        return self

    def total_steps(self, train_examples: int) -> int:
        """Optimizer steps of a run: `max_steps`, or `epochs` over all its training examples."""
        if self.max_steps is not None:
            return self.max_steps
        return max(1, math.ceil(self.epochs * train_examples / self.batch_size))

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


class PretrainConfig(LoopConfig):
    """Masked-LM pretraining of the sample-profile base model."""

    lr: PositiveFloat = 1e-3
    batch_size: PositiveInt = 64
    warmup_ratio: Fraction = 0.05
    eval_every: PositiveInt = 500
    checkpoint_every: PositiveInt = 500
    max_steps: PositiveInt = 2000
    max_length: PositiveInt = 96
    mask_prob: Annotated[float, Field(gt=0, lt=1)] = 0.15
    seed: int = 0


class BaseConfig(Section):
    """Where the pretrained multilingual encoder comes from."""

    source: Literal["pretrain", "hub"] = "pretrain"
    hub_model: str = "FacebookAI/xlm-roberta-large"
    hub_revision: str = XLM_R_LARGE  # pinned commit
    tokenizer: TokenizerConfig = TokenizerConfig()
    architecture: ArchitectureConfig = ArchitectureConfig()
    pretrain: PretrainConfig = PretrainConfig()


MLM_TASK = "mlm"  # in a condition's list: multilingual masked LM joins its intermediate mix


class MlmCorpusConfig(Section):
    """The multilingual masked-LM corpus of a condition that lists `mlm` (continuing MLM during
    intermediate training, Phang et al. 2020): the first `train_lines` lines of text, then
    `dev_lines` more, in every language the run evaluates a target in; from the sample world's
    corpus (sample profile) or Wikipedia (full profile; `xstilts.data.mlm_corpus`). Each line is
    one sequence, so under the proportional sampler these sizes set MLM's share of the steps."""

    train_lines: PositiveInt = 500  # per language
    dev_lines: PositiveInt = 50  # per language


class DataConfig(Section):
    """Where the data lives and how much of it a run uses."""

    root: str = "data"  # the sample world (tracked by data.dvc)
    max_train_examples: PositiveInt | None = None  # subsample every training split
    max_eval_examples: PositiveInt | None = None  # subsample every dev/test split
    languages: tuple[str, ...] | None = None  # restrict target languages (None = all)
    mlm_corpus: MlmCorpusConfig = MlmCorpusConfig()  # read only when a condition lists `mlm`


class TargetConfig(Section):
    """The target phase: English training of each target task, from the intermediate model."""

    training: TrainingConfig = TrainingConfig(epochs=2)
    # per target task or train_sequence step task, keys of TrainingConfig
    overrides: dict[str, dict[str, Any]] = {}
    # target -> English training tasks run one after the other on the target's head, e.g.
    # xcopa: [siqa, copa]; a target not listed trains on its own train split in one step
    train_sequence: dict[str, tuple[str, ...]] = {}

    def training_for(self, task: str, step: str | None = None) -> TrainingConfig:
        """The shared recipe with the target's overrides, then the step task's (when training
        a step of a sequence); an override of `epochs` replaces `max_steps` and vice versa."""
        merged = self.training.model_dump()
        for key in (task, step):
            override = self.overrides.get(key, {}) if key else {}
            if "epochs" in override or "max_steps" in override:
                merged.update(epochs=None, max_steps=None)
            merged.update(override)
        return TrainingConfig(**merged)

    def step_tasks(self, task: str) -> tuple[str, ...]:
        """The English training task of each step of a target task: its train_sequence, or the
        target itself (names only: reading them reads no recipe)."""
        return tuple(self.train_sequence.get(task) or (task,))

    def steps_for(self, task: str) -> tuple[tuple[str, TrainingConfig], ...]:
        """(training task, recipe) of each English training step of a target task."""
        if not self.train_sequence.get(task):
            return ((task, self.training_for(task)),)
        return tuple((step, self.training_for(task, step)) for step in self.step_tasks(task))


class EvaluateConfig(Section):
    """Test-set predictions of the evaluate stage."""

    batch_size: PositiveInt = 128
    precision: Precision = "auto"  # bf16 autocast on CUDA GPUs that support it, else fp32
    # span QA targets with cross-language test sets (MLQA's G-XLT): also score every question
    # language against every context language, clean (`xstilts.evaluate.cross_language`)
    cross_language: bool = False


class AttackConfig(Section):
    """One adversarial attack: the families it draws candidate edits from and its budget
    (see `xstilts.attack.AttackBudget`)."""

    families: tuple[str, ...]
    max_unit_fraction: Annotated[float, Field(gt=0, le=1)] = 0.2
    max_queries: PositiveInt = 200
    beam_width: PositiveInt = 1  # 1 = greedy search
    candidates_per_unit: PositiveInt = 4


DEFAULT_ATTACKS = {
    # character-level typos and look-alikes, greedy search (DeepWordBug/TextBugger-like)
    "typo": AttackConfig(
        families=("keyboard", "char_swap", "char_delete", "char_insert", "homoglyph")
    ),
    # word-level code-switching from bilingual lexicons with a small beam (PolyGloss-like)
    "codeswitch": AttackConfig(families=("codeswitch",), beam_width=3),
}


class RobustnessConfig(Section):
    """Perturbations and attacks of the evaluate stage, and the statistics of the report.

    Perturbed inputs depend on (seed, example id, family) only, never on the model, so every
    condition is evaluated on the same perturbed examples."""

    families: tuple[str, ...] = (
        "keyboard", "char_swap", "char_delete", "char_insert", "char_substitute", "diacritics",
        "homoglyph", "invisible", "spacing", "romanize", "word_delete", "word_swap",
        "word_repeat", "codeswitch",
    )  # fmt: skip
    strengths: tuple[Annotated[float, Field(gt=0, le=1)], ...] = (0.1,)  # fraction of units
    max_examples: PositiveInt | None = None  # per language: the first N test examples
    attack_examples: PositiveInt | None = None  # per language: the first N of those
    attacks: dict[str, AttackConfig] = DEFAULT_ATTACKS
    budget_curve: tuple[Annotated[float, Field(gt=0, le=1)], ...] = (0.05, 0.1, 0.15, 0.2)
    lexicons: Literal["local", "muse"] = "local"  # local: data/lexicon; muse: download MUSE
    codeswitch_languages: tuple[str, ...] | None = None  # None: English + every lexicon language
    # the generalized setting: a parallel pair target's second text in every other language
    generalized: bool = True
    bootstrap_resamples: PositiveInt = 2000
    alpha: Annotated[float, Field(gt=0, lt=1)] = 0.05
    # the report states each comparison's smallest difference detectable at this power
    power: Annotated[float, Field(gt=0, lt=1)] = 0.8

    @model_validator(mode="after")
    def _known_families(self) -> RobustnessConfig:
        from xstilts.perturb import families

        known = families()
        named = [("robustness.families", f) for f in self.families] + [
            (f"robustness.attacks.{a}.families", f)
            for a, cfg in self.attacks.items()
            for f in cfg.families
        ]
        for where, family in named:
            if family not in known:
                raise ValueError(
                    f"{where}: unknown perturbation family '{family}'; known: {', '.join(known)}"
                )
        if not self.strengths:
            raise ValueError("robustness.strengths: list at least one strength")
        return self


RSDA = "+rsda"  # suffix of a condition whose targets train with RS-DA


class RsdaConfig(Section):
    """Robust training as conditions: randomized smoothing with data augmentation (RS-DA, Huang
    et al. 2021, uclanlp/Robust-XLT) on the English target training. For each condition `c`
    listed, `c+rsda` trains the targets in `tasks` from `c`'s intermediate model on `copies`
    perturbed copies of every English training example instead of the example itself: each
    word that has neighbours becomes a uniform draw from itself and its neighbours. Neighbours:
    the sample world's synonyms (`local`) or Robust-XLT's counter-fitted ones (`counterfitted`,
    downloaded at a pinned commit and checked against its SHA-256)."""

    conditions: tuple[str, ...] = ()  # intermediate conditions also trained with RS-DA
    tasks: tuple[str, ...] = ("xnli", "pawsx")  # Robust-XLT's targets
    copies: dict[str, PositiveInt] = {"xnli": 3, "pawsx": 10}  # Robust-XLT's numbers
    neighbours: Literal["local", "counterfitted"] = "local"

    def names(self) -> tuple[str, ...]:
        return tuple(f"{condition}{RSDA}" for condition in self.conditions)


class RetrievalConfig(Section):
    """Cross-lingual sentence retrieval straight from each condition's encoder, with no target
    training (Phang et al. 2020's largest gains): Tatoeba (each language's sentences and their
    English translations, top-1 in both directions) and BUCC 2018 (bitext mining, F1 at the
    threshold best on dev). Sentences are pooled from a middle layer as XTREME's scripts do.
    Tatoeba's queries are also perturbed (robustness.families at robustness.strengths, the
    first robustness.max_examples of each language) and attacked (robustness.attacks, the first
    robustness.attack_examples), the attack pushing the translation's rank down."""

    # () turns retrieval off; BUCC needs its dev split, which only the sample world has here
    tasks: tuple[Literal["tatoeba", "bucc"], ...] = ("tatoeba",)
    max_length: PositiveInt = 512  # tokens per sentence (XTREME's MAXL)
    batch_size: PositiveInt = 64  # sentences encoded at once
    # under each perturbation variant, perturb the English candidates too (each with its own
    # seeded generator), not only the queries
    perturb_candidates: bool = False

    @model_validator(mode="after")
    def _distinct(self) -> RetrievalConfig:
        if len(set(self.tasks)) != len(self.tasks):
            raise ValueError(f"retrieval.tasks: names a task twice: {list(self.tasks)}")
        return self


class PlanConfig(Section):
    """What `xstilts plan` assumes to turn tokens into GPU-hours on one GPU: an optimizer step
    takes max(step_seconds, tokens / tokens_per_second); a forward-only token (dev and test
    evaluation) costs `forward_cost` of a training token; a resume-state write stalls training
    for its size / write_gb_per_second."""

    tokens_per_second: PositiveFloat = 130_000.0  # training tokens/s once compute-bound
    step_seconds: Annotated[float, Field(ge=0)] = 0.09  # floor per optimizer step
    forward_cost: Fraction = 1 / 3  # forward is about a third of forward + backward
    write_gb_per_second: PositiveFloat = 1.0  # writing resume state to disk (the GPU waits)
    # name -> {dotted params key: value}: the same profile with these values, whose totals
    # `xstilts plan` prints after the profile's own (e.g. a recipe the profile departs from)
    alternatives: dict[str, dict[str, Any]] = {}


class Params(Section):
    """The whole params.yaml. Every section but `execution` is required (a missing one is an
    error); keys inside a section default to the values above. `xstilts profile` writes every
    key, resolved, so that DVC sees each value a stage uses."""

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
    robustness: RobustnessConfig
    # RS-DA conditions; none without the section (a params file of an earlier layout)
    rsda: RsdaConfig = RsdaConfig()
    # retrieval from the encoders; none without the section (a params file of an earlier layout)
    retrieval: RetrievalConfig = RetrievalConfig(tasks=())
    plan: PlanConfig
    execution: ExecutionSections = ExecutionSections()  # speed only: no stage's DVC params

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
                if task not in known_inter and task != MLM_TASK:
                    raise ValueError(
                        f"conditions.{condition}: unknown intermediate task '{task}'; "
                        f"known: {', '.join(known_inter)}, and {MLM_TASK} (multilingual "
                        f"masked LM)"
                    )
            if len(set(tasks)) != len(tasks):
                raise ValueError(f"conditions.{condition}: lists a task twice: {list(tasks)}")
            if condition != "none" and not tasks:
                raise ValueError(f"conditions.{condition}: lists no intermediate task")
        for task in self.targets:
            if task not in known_target:
                raise ValueError(
                    f"targets: unknown target task '{task}'; known: {', '.join(known_target)}"
                )
        self._check_train_sequences(known_target)
        if self.profile == "full":
            self._check_pinned()
        # Settings of a known target that `targets` leaves out stay inert, so a run can be
        # shrunk to some targets (`dvc exp run -S 'targets=[xnli]'`) without editing them out.
        steps = {s for seq in self.target.train_sequence.values() for s in seq}
        for task in self.target.overrides:
            if task not in known_target and task not in steps:
                raise ValueError(
                    f"target.overrides.{task}: neither a target task "
                    f"({', '.join(known_target)}) nor a train_sequence step"
                )
            self.target.training_for(task)  # surface bad override keys now
        self._check_languages()
        self._check_rsda()
        return self

    def _check_rsda(self) -> None:
        from xstilts.tasks import get_task

        for key in ("conditions", "tasks"):
            names = getattr(self.rsda, key)
            if len(set(names)) != len(names):
                raise ValueError(f"rsda.{key}: names a condition or task twice: {list(names)}")
        for condition in self.rsda.conditions:
            if condition not in self.conditions:
                raise ValueError(
                    f"rsda.conditions: '{condition}' is not a condition "
                    f"(known: {', '.join(self.conditions)})"
                )
        for task in self.rsda.tasks if self.rsda.conditions else ():  # no conditions: inert
            if task not in self.targets:
                raise ValueError(
                    f"rsda.tasks: '{task}' is not a target (targets: {', '.join(self.targets)})"
                )
            if get_task(task).kind not in ("pair", "single") or self.target.train_sequence.get(
                task
            ):
                raise ValueError(
                    f"rsda.tasks: '{task}' is not trained on its own sentences or sentence "
                    "pairs, which RS-DA perturbs"
                )
            if task not in self.rsda.copies:
                raise ValueError(f"rsda.copies: no number of copies for '{task}'")

    def _check_pinned(self) -> None:
        """A full run loads only pinned dataset revisions: a task whose source has none is
        refused here, at once, rather than when `prepare` reaches it."""
        from xstilts.tasks import get_task

        if "bucc" in self.retrieval.tasks:
            raise ValueError(
                "retrieval.tasks: 'bucc' has no verified source in the full profile: BUCC 2018's "
                "dev split (the threshold's) is only in comparable.limsi.fr's archives, of which "
                "no checksum could be verified, and no hub copy holds it; leave 'bucc' out"
            )
        tasks = {t for tasks in self.conditions.values() for t in tasks} | set(self.targets)
        for task in sorted(tasks - {MLM_TASK}):  # Wikipedia's pin is the corpus module's
            for split in get_task(task).splits.values():
                for part in split.hub_parts:
                    if part.revision is None:
                        raise ValueError(
                            f"task '{task}' loads {part.path}, of which no revision is pinned "
                            f"(none could be verified): pin one in src/xstilts/tasks/"
                            f"revisions.py, or leave '{task}' out of this run"
                        )

    def _check_train_sequences(self, known_target: tuple[str, ...]) -> None:
        from xstilts.tasks import all_tasks

        known = all_tasks()
        for target, sequence in self.target.train_sequence.items():
            where = f"target.train_sequence.{target}"
            if target not in known_target:
                raise ValueError(f"{where}: unknown target task; known: {', '.join(known_target)}")
            if not sequence:
                raise ValueError(f"{where}: lists no training task")
            spec = known[target]
            for step in sequence:
                if step not in known or not {"train", "dev"} <= set(known[step].splits):
                    trainable = [n for n, s in known.items() if s.kind == spec.kind]
                    raise ValueError(
                        f"{where}: unknown training task '{step}'; known: {', '.join(trainable)}"
                    )
                step_spec = known[step]
                if step_spec.kind != spec.kind or step_spec.labels != spec.labels:
                    raise ValueError(
                        f"{where}: '{step}' ({step_spec.kind}, labels {step_spec.labels}) cannot "
                        f"train the head of '{target}' ({spec.kind}, labels {spec.labels})"
                    )

    def _check_languages(self) -> None:
        from xstilts.tasks import get_task

        if self.data.languages is None:
            return
        if self.profile == "sample":
            pool = set(self.sample_world.languages)
        else:
            pool = {lang for t in self.targets for lang in get_task(t).languages}
        for lang in self.data.languages:
            if lang not in pool:
                raise ValueError(
                    f"data.languages: '{lang}' is not a language of any target "
                    f"(known: {', '.join(sorted(pool))})"
                )
        if self.profile == "sample":  # every target has the sample world's languages
            return
        for target in self.targets:
            own = get_task(target).languages
            if not set(own) & set(self.data.languages):
                raise ValueError(
                    f"data.languages keeps none of target {target}'s languages "
                    f"({', '.join(sorted(own))}): add one, or drop {target} from targets"
                )

    @property
    def mlm_conditions(self) -> tuple[str, ...]:
        """The conditions that mix multilingual masked LM into their intermediate training."""
        return tuple(name for name, tasks in self.conditions.items() if MLM_TASK in tasks)

    @property
    def condition_names(self) -> tuple[str, ...]:
        """The intermediate conditions (each with its own intermediate model)."""
        return tuple(self.conditions)

    @property
    def all_condition_names(self) -> tuple[str, ...]:
        """Every condition a target is trained under: the intermediate ones, then RS-DA's."""
        return (*self.conditions, *self.rsda.names())

    def conditions_for(self, task: str) -> tuple[str, ...]:
        """The conditions target `task` is trained and evaluated under."""
        return (*self.conditions, *(self.rsda.names() if task in self.rsda.tasks else ()))


def intermediate_condition(condition: str) -> str:
    """The intermediate condition whose model a condition's targets start from."""
    return condition.removesuffix(RSDA)


def is_rsda(condition: str) -> bool:
    return condition.endswith(RSDA)


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


def deep_update(raw: dict[str, Any], updates: dict[str, Any]) -> dict[str, Any]:
    """`raw` with `updates` merged in: mappings key by key, anything else replaced (how an
    overlay such as the rehearsal's sizes, or a test's, applies to a profile)."""
    merged = copy.deepcopy(raw)
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_update(merged[key], value)
        else:
            merged[key] = value
    return merged


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


PARAMS_HEADER = """\
# params.yaml: the whole run description, every key resolved (DVC tracks only the keys written
# here). Generated by `xstilts profile {name}` from profiles/{name}.yaml plus the defaults in
# src/xstilts/config.py: edit those and rerun the command rather than editing this file, except
# for one experiment (`dvc exp run -S key=value` edits this file).
# Every stage lists its sections in dvc.yaml, except `execution`: speed only, never a rerun.
"""


class _ParamsDumper(yaml.SafeDumper):
    """Block mappings, flow sequences (`seeds: [0, 1, 2]`), as the profiles are written."""


_ParamsDumper.add_representer(
    list, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, True)
)


def render_params(params: Params, name: str) -> str:
    """The text of params.yaml for `params` (profile `name`): every key, defaults included, in
    the models' field order, each section under its model's description."""
    blocks = [PARAMS_HEADER.format(name=name)]
    for key, value in params.model_dump(mode="json").items():
        text = yaml.dump({key: value}, Dumper=_ParamsDumper, sort_keys=False, width=96)
        blocks.append(_section_comment(key) + text)
    return "\n".join(blocks)


def _section_comment(key: str) -> str:
    """The first paragraph of the section model's docstring, as comment lines."""
    annotation = Params.model_fields[key].annotation
    doc = (annotation.__doc__ if isinstance(annotation, type) else None) or ""
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    return "".join(f"# {line}\n" for line in textwrap.wrap(paragraph, 96)) if paragraph else ""


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate params.yaml (the active profile); with `XSTILTS_PARAMS_TRACE` set, a
    view of it that notes the keys the run reads (`xstilts.params_trace`)."""
    path = Path(path)
    if not path.exists():
        raise XstiltsError(f"{path}: not found; run from the repository root")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise XstiltsError(f"{path}: not valid YAML: {err}") from None
    return traced_if_asked(parse_params(raw, str(path)))
