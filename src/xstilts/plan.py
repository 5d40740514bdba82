"""`xstilts plan`: every run the pipeline will execute for a profile, with its training
examples, optimizer steps and an estimate of GPU-hours on one GPU, plus totals.

Sizes come from data/ in the sample profile and from each task spec's stated sizes (their hub
dataset cards) in the full profile, since the hub need not be reachable; both are cut by the
subsampling switches in `data`. Steps are the upper bound (early stopping may end a run
sooner). Time per optimizer step is max(plan.step_seconds, tokens / plan.tokens_per_second);
dev evaluations during training and the test evaluation cost `plan.forward_cost` per token.

Resume state (`xstilts.training.state`) is written every `checkpoint_every` steps except at the
end: the fp32 weights, AdamW's two moments and, once a dev evaluation has run, the best weights,
each the size of the model; the main process first clones weights and moments on the GPU, and
training waits while it writes (`plan.write_gb_per_second`). The disk summary counts the model
checkpoints DVC tracks, twice: once in the workspace and once in the DVC cache, which with
`cache.type: reflink,copy` copies on filesystems without reflinks (ext4, overlayfs).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from xstilts.config import MLM_TASK, Params, TrainingConfig, parse_params
from xstilts.data.mlm_corpus import WIKIPEDIA_LINE_TOKENS, corpus_languages, sample_lines
from xstilts.data.prepared import cross_language_pairs, target_languages
from xstilts.errors import XstiltsError
from xstilts.evaluate import generalized
from xstilts.examples import ChoiceExample, Example, example_texts
from xstilts.tasks import get_task
from xstilts.training.task_sampler import task_probabilities


@dataclass(frozen=True)
class SplitSize:
    rows: int
    sequences: int  # input sequences per example (choices)
    tokens: int  # per sequence

    @property
    def example_tokens(self) -> int:
        return self.sequences * self.tokens


@dataclass(frozen=True)
class Run:
    stage: str
    condition: str
    task: str
    seed: int
    examples: int  # training examples (evaluate: test examples)
    steps: int
    gpu_hours: float
    state_writes: int = 0  # resume-state writes (upper bound: no early stop)
    state_gb: float = 0.0  # bytes written by them, in GB


# Encoder shapes of hub models (their config.json): vocabulary, hidden, layers, FFN, positions.
HUB_SHAPES = {
    "FacebookAI/xlm-roberta-large": (250_002, 1024, 24, 4096, 514),
    "FacebookAI/xlm-roberta-base": (250_002, 768, 12, 3072, 514),
}
FP32 = 4  # bytes per parameter in checkpoints and resume state
GB = 1e9


class Sizes:
    """Rows and tokens per example of each (task, split, language), for one profile."""

    def __init__(self, params: Params, data_root: Path) -> None:
        self.params, self.data_root = params, data_root
        self._cache: dict[tuple[str, str, str], SplitSize] = {}

    def get(self, task: str, split: str, max_length: int, lang: str = "en") -> SplitSize:
        """Rows after subsampling, tokens per sequence capped at `max_length`."""
        key = (task, split, lang)
        if key not in self._cache:
            self._cache[key] = self._load(task, split, lang)
        size = self._cache[key]
        rows = size.rows if task == MLM_TASK else self._limit(size.rows, split)  # own sizes
        return SplitSize(rows, size.sequences, min(size.tokens, max_length))

    def _limit(self, rows: int, split: str) -> int:
        data = self.params.data
        limit = data.max_train_examples if split == "train" else data.max_eval_examples
        return rows if limit is None else min(rows, limit)

    def _load(self, task: str, split: str, lang: str) -> SplitSize:
        if task == MLM_TASK:
            return self._corpus(split)
        spec = get_task(task)
        if self.params.profile == "sample":
            from xstilts.data.sources import load_examples

            return _measured(load_examples(spec, split, lang, "sample", self.data_root))
        if spec.size is None or split not in spec.size.rows:
            raise XstiltsError(f"task {task} states no size for split '{split}' (TaskSpec.size)")
        return SplitSize(spec.size.rows[split], spec.size.sequences, spec.size.tokens)

    def _corpus(self, split: str) -> SplitSize:
        """The masked-LM corpus of the conditions that list `mlm`: its lines per language times
        the run's languages; tokens per line measured on the sample corpus (words + 2), or
        Wikipedia's stated estimate."""
        params, languages = self.params, corpus_languages(self.params)
        sizes = params.data.mlm_corpus
        per_language = sizes.train_lines if split == "train" else sizes.dev_lines
        rows = per_language * len(languages)
        if params.profile != "sample":
            return SplitSize(rows, 1, WIKIPEDIA_LINE_TOKENS)
        wanted = sizes.train_lines + sizes.dev_lines
        words = [
            len(line.split())
            for lang in languages
            for line in islice(sample_lines(self.data_root, lang), wanted)
        ]
        return SplitSize(rows, 1, math.ceil(sum(words) / max(len(words), 1)) + 2)


def _measured(examples: list[Example]) -> SplitSize:
    """Sizes of sample-world data: words per sequence plus 4 special tokens stand in for
    tokens (a rough lower bound with its small vocabulary)."""
    sequences = [_sequence_words(e) for e in examples]
    per_example = max(len(s) for s in sequences)
    words = sum(sum(s) for s in sequences) / max(sum(len(s) for s in sequences), 1)
    return SplitSize(len(examples), per_example, math.ceil(words) + 4)


def _sequence_words(example: Example) -> list[int]:
    if isinstance(example, ChoiceExample):
        shared = len(example.context.split()) + len(example.question.split())
        return [shared + len(choice.split()) for choice in example.choices]
    return [sum(len(text.split()) for text in example_texts(example))]


def encoder_parameters(params: Params) -> int:
    """Parameters of the XLM-R encoder the runs train (no pooler, as `load_encoder` builds it;
    the task heads, about 1M parameters each, are left out)."""
    base = params.base
    if base.source == "hub":
        if base.hub_model not in HUB_SHAPES:
            known = ", ".join(HUB_SHAPES)
            raise XstiltsError(f"plan: no encoder shape for {base.hub_model} (known: {known})")
        vocab, hidden, layers, ffn, positions = HUB_SHAPES[base.hub_model]
    else:
        arch = base.architecture
        vocab, hidden, layers = base.tokenizer.vocab_size, arch.hidden_size, arch.num_hidden_layers
        ffn, positions = arch.intermediate_size, arch.max_position_embeddings
    embeddings = (vocab + positions + 1) * hidden + 2 * hidden  # + token type, LayerNorm
    attention = 4 * (hidden * hidden + hidden) + 2 * hidden
    feed_forward = 2 * hidden * ffn + ffn + hidden + 2 * hidden
    return embeddings + layers * (attention + feed_forward)


def state_writes(steps: int, config: TrainingConfig, parameters: int) -> tuple[int, float]:
    """(writes, GB written) of the resume state of one run of `steps` steps: a write every
    `checkpoint_every` steps but not at the last; weights + two AdamW moments, plus the best
    weights once a dev evaluation has run."""
    writes = (steps - 1) // config.checkpoint_every
    without_best = min(writes, (config.eval_every - 1) // config.checkpoint_every)
    model_gb = parameters * FP32 / GB
    return writes, model_gb * (4 * writes - without_best)


def _train_hours(
    params: Params,
    sizes: Sizes,
    tasks: tuple[str, ...],
    config: TrainingConfig,
    copies: int = 1,
) -> tuple[int, int, float]:
    """(training examples, optimizer steps, GPU-hours incl. dev evaluations) of one run, on
    `copies` copies of every training example (RS-DA)."""
    plan = params.plan
    train = {t: sizes.get(t, "train", config.max_length_for(t)) for t in tasks}
    train = {t: dataclasses.replace(s, rows=s.rows * copies) for t, s in train.items()}
    dev = {t: sizes.get(t, "dev", config.max_length_for(t)) for t in tasks}
    examples = sum(s.rows for s in train.values())
    steps = config.total_steps(examples)
    sampler = config.sampler
    probs = task_probabilities(
        {t: s.rows for t, s in train.items()}, sampler.strategy, sampler.temperature, sampler.cap
    )
    seconds = 0.0
    for task, p in probs.items():
        step_tokens = config.batch_size * train[task].example_tokens
        seconds += p * steps * max(plan.step_seconds, step_tokens / plan.tokens_per_second)
    evals = math.ceil(steps / min(config.eval_every, steps))
    dev_tokens = evals * sum(s.rows * s.example_tokens for s in dev.values())
    seconds += dev_tokens * plan.forward_cost / plan.tokens_per_second
    return examples, steps, seconds / 3600


def _train_run(
    params: Params,
    sizes: Sizes,
    tasks: tuple[str, ...],
    config: TrainingConfig,
    head: tuple[str, str, str, int],
    copies: int = 1,
) -> Run:
    """One training run, its resume-state writes and their stall included in its GPU-hours."""
    n, steps, hours = _train_hours(params, sizes, tasks, config, copies)
    writes, gb = state_writes(steps, config, encoder_parameters(params))
    hours += gb / params.plan.write_gb_per_second / 3600
    return Run(*head, n, steps, hours, writes, gb)


def plan_runs(params: Params, data_root: str | Path | None = None) -> list[Run]:
    """Every intermediate, target, evaluate and retrieve run of the profile, in pipeline
    order."""
    sizes = Sizes(params, Path(data_root or params.data.root))
    runs = [Run("prepare", "-", "-", -1, 0, 0, 0.0), _base_run(params)]
    for condition, tasks in params.conditions.items():
        for seed in params.seeds:
            if not tasks:
                runs.append(Run("intermediate", condition, "-", seed, 0, 0, 0.0))
                continue
            head = ("intermediate", condition, "+".join(tasks), seed)
            runs.append(_train_run(params, sizes, tasks, params.intermediate, head))
    for condition in params.conditions:
        for task in params.targets:
            for seed in params.seeds:
                for step, config in params.target.steps_for(task):
                    label = task if step == task else f"{task}<-{step}"
                    head = ("target", condition, label, seed)
                    runs.append(_train_run(params, sizes, (step,), config, head))
    for condition in params.rsda.names():
        for task in params.rsda.tasks:
            for seed in params.seeds:
                head = ("target", condition, task, seed)
                copies = params.rsda.copies[task]
                config = params.target.training_for(task)
                runs.append(_train_run(params, sizes, (task,), config, head, copies))
    for condition in params.all_condition_names:
        for task in params.targets:
            if condition in params.conditions_for(task):
                n, hours = _eval_hours(params, sizes, task)
                runs += [Run("evaluate", condition, task, s, n, 0, hours) for s in params.seeds]
    if params.retrieval.tasks:
        n, hours = _retrieve_hours(params)
        label = "+".join(params.retrieval.tasks)
        runs += [
            Run("retrieve", condition, label, seed, n, 0, hours)
            for condition in params.conditions
            for seed in params.seeds
        ]
    return runs


# Pairs per language of the full profile's Tatoeba sets (LASER's files; 1,000 unless listed)
TATOEBA_PAIRS = {"jv": 205, "ml": 687, "ta": 307, "te": 234, "ka": 746, "th": 548, "sw": 390,
                 "kk": 575}  # fmt: skip
RETRIEVAL_TOKENS = 32  # tokens per sentence assumed (Tatoeba's and BUCC's are short)


def _retrieve_hours(params: Params) -> tuple[int, float]:
    """Forward passes of one retrieve run: each Tatoeba language's two sides, its perturbed
    queries and its attacks at their full query budgets, and each BUCC language's sentences
    (the sample world's sizes, or the benchmarks')."""
    from xstilts.retrieval.sets import retrieval_languages

    robustness, world = params.robustness, params.sample_world
    variants = len(robustness.families) * len(robustness.strengths)
    queries = sum(a.max_queries for a in robustness.attacks.values())
    sentences = 0
    if "tatoeba" in params.retrieval.tasks:
        for lang in retrieval_languages(params, "tatoeba"):
            pairs = (
                world.tatoeba_pairs if params.profile == "sample" else TATOEBA_PAIRS.get(lang, 1000)
            )
            perturbed = _capped(pairs, robustness.max_examples)
            sentences += 2 * pairs + perturbed * variants
            sentences += _capped(perturbed, robustness.attack_examples) * queries
    if "bucc" in params.retrieval.tasks:  # the sample world's only (params validation)
        gold = world.bucc_dev_pairs + world.bucc_test_pairs
        per_language = 2 * gold * (1 + world.bucc_distractor_ratio)
        sentences += per_language * len(retrieval_languages(params, "bucc"))
    tokens = sentences * min(RETRIEVAL_TOKENS, params.retrieval.max_length)
    hours = tokens * params.plan.forward_cost / params.plan.tokens_per_second / 3600
    return sentences, hours


def _base_run(params: Params) -> Run:
    """The base stage trains nothing: it snapshots XLM-R or installs the tracked sample encoder
    (pretrained once, outside the pipeline, by `make pretrained`)."""
    source = params.base.hub_model if params.base.source == "hub" else "pretrained/"
    return Run("base", "-", source, -1, 0, 0, 0.0)


def _eval_hours(params: Params, sizes: Sizes, task: str) -> tuple[int, float]:
    """Forward passes of one evaluate run: the clean test sets, every perturbation variant of
    the robustness subsample and, for a parallel pair target, its generalized pairs (one per
    other language), a span target's cross-language test sets (`evaluate.cross_language`; each
    pair's size taken as its context language's test set, an upper bound), and the attacks at
    their full query budgets (an upper bound: most attacks stop at the first flip; a tagging
    target is not attacked)."""
    robustness = params.robustness
    max_length = params.target.training_for(task).max_length_for(task)
    tests = [sizes.get(task, "test", max_length, lang) for lang in target_languages(params, task)]
    variants = len(robustness.families) * len(robustness.strengths)
    if generalized.applies(params, task):
        variants += len(tests) - 1
    attacked_kind = get_task(task).kind != "tagging"
    queries = sum(a.max_queries for a in robustness.attacks.values()) if attacked_kind else 0
    tokens = 0
    cross = len(cross_language_pairs(params, task)) // max(len(tests), 1)  # per context
    for size in tests:
        perturbed = _capped(size.rows, robustness.max_examples)
        attacked = _capped(perturbed, robustness.attack_examples)
        passes = size.rows * (1 + cross) + perturbed * variants + attacked * queries
        tokens += size.example_tokens * passes
    hours = tokens * params.plan.forward_cost / params.plan.tokens_per_second / 3600
    return sum(s.rows for s in tests), hours


def _capped(rows: int, limit: int | None) -> int:
    return rows if limit is None else min(rows, limit)


def format_plan(params: Params, runs: list[Run]) -> str:
    """The table of runs, totals per stage, disk needs, the assumptions behind the estimate,
    and the totals of each of `plan.alternatives`."""
    lines = [
        f"{'stage':<13}{'condition':<15}{'task':<42}{'seed':>5}{'examples':>11}{'steps':>11}"
        f"{'writes':>8}{'GPU-h':>9}"
    ]
    for r in runs:
        seed = "-" if r.seed < 0 else str(r.seed)
        lines.append(
            f"{r.stage:<13}{r.condition:<15}{r.task:<42}{seed:>5}{r.examples:>11,}"
            f"{r.steps:>11,}{r.state_writes:>8,}{r.gpu_hours:>9.2f}"
        )
    lines += ["", *_totals(runs), "", *format_disk(params, runs), ""]
    plan = params.plan
    lines.append(
        f"assumes one GPU at {plan.tokens_per_second:,.0f} training tokens/s, at least "
        f"{plan.step_seconds} s per optimizer step, forward-only tokens at {plan.forward_cost:.2f} "
        f"of that, resume state written at {plan.write_gb_per_second:g} GB/s while training "
        "waits; steps and writes are upper bounds (early stopping may end runs sooner), and so "
        "is evaluate (clean + perturbed test sets + attacks at their full query budget)"
    )
    for name, overrides in plan.alternatives.items():
        changed = ", ".join(f"{k}={v}" for k, v in overrides.items())
        lines += ["", f"alternative '{name}' ({changed}):"]
        lines += _totals(plan_runs(alternative_params(params, name)))
    return "\n".join(lines)


def _totals(runs: list[Run]) -> list[str]:
    lines = []
    for stage in dict.fromkeys(r.stage for r in runs):
        chosen = [r for r in runs if r.stage == stage]
        hours = sum(r.gpu_hours for r in chosen)
        steps = sum(r.steps for r in chosen)
        writes = sum(r.state_writes for r in chosen)
        lines.append(
            f"total {stage:<13}{len(chosen):>5} runs{steps:>13,} steps{writes:>8,} writes"
            f"{hours:>10.1f} GPU-h"
        )
    total = sum(r.gpu_hours for r in runs)
    lines.append(f"total{'':<14}{len(runs):>5} runs{'':>34}{total:>10.1f} GPU-h")
    return lines


def format_disk(params: Params, runs: list[Run]) -> list[str]:
    """What the runs write: model checkpoints (DVC outputs, in the workspace and the DVC cache)
    and resume state (state/, one training stage's at a time, deleted when the stage ends)."""
    parameters = encoder_parameters(params)
    model_gb = parameters * FP32 / GB
    trained = [r for r in runs if r.stage == "intermediate" and r.steps]
    targets = {(r.condition, r.task.split("<-")[0], r.seed) for r in runs if r.stage == "target"}
    checkpoints = len(trained) + len(targets)
    models_gb = checkpoints * model_gb
    state_gb = max((r.state_gb / r.state_writes for r in runs if r.state_writes), default=0.0)
    sequence = any(len(params.target.steps_for(t)) > 1 for t in params.targets)
    peak_state = 2 * state_gb + (model_gb if sequence else 0.0)
    writes = sum(r.state_writes for r in runs)
    written = sum(r.state_gb for r in runs)
    clone_gb = 3 * model_gb  # weights + two AdamW moments
    return [
        f"disk: encoder {parameters:,} parameters, {model_gb:.2f} GB per fp32 checkpoint",
        f"  checkpoints   {checkpoints} ({len(trained)} intermediate + {len(targets)} target) "
        f"x {model_gb:.2f} GB = {models_gb:,.0f} GB in models/,",
        f"                and a copy in the DVC cache (cache.type reflink,copy copies on ext4 "
        f"and overlayfs): {2 * models_gb:,.0f} GB",
        f"  resume state  {state_gb:.2f} GB per write (weights, 2 AdamW moments, best weights);",
        f"                {peak_state:.1f} GB in state/ per training stage running (the new "
        "state is written",
        "                beside the old one"
        + (", plus a train_sequence's finished step" if sequence else "")
        + "), deleted when the stage ends",
        f"  state writes  {writes:,} in all, {written / 1000:,.1f} TB written; before each the "
        "main process clones",
        f"                weights and moments on the GPU: {clone_gb:.1f} GB of GPU memory on top "
        "of training's",
        f"                (and the best weights, {model_gb:.2f} GB, stay on the GPU after the "
        "first dev evaluation)",
        f"  total         {2 * models_gb + peak_state:,.0f} GB with one training stage at a "
        "time (plus the hub cache,",
        "                prepared/, perturbed/ and predictions/)",
    ]


def alternative_params(params: Params, name: str) -> Params:
    """The profile with `plan.alternatives[name]` applied (dotted keys), validated."""
    raw = params.model_dump()
    overrides = raw["plan"].pop("alternatives")[name]
    for dotted, value in overrides.items():
        node: Any = raw
        *parents, leaf = dotted.split(".")
        for key in parents:
            if not isinstance(node.get(key), dict):
                raise XstiltsError(f"plan.alternatives.{name}: no section '{dotted}'")
            node = node[key]
        node[leaf] = value
    return parse_params(raw, f"plan.alternatives.{name}")
