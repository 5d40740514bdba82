"""`xstilts plan`: every run the pipeline will execute for a profile, with its training
examples, optimizer steps and an estimate of GPU-hours on one GPU, plus totals.

Sizes come from data/ in the sample profile and from each task spec's stated sizes (dataset
cards, tasks.md) in the full profile, since the hub need not be reachable; both are cut by the
subsampling switches in `data`. Steps are the upper bound (early stopping may end a run
sooner). Time per optimizer step is max(plan.step_seconds, tokens / plan.tokens_per_second);
dev evaluations during training and the test evaluation cost `plan.forward_cost` per token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from xstilts.config import Params, TrainingConfig
from xstilts.data.prepared import target_languages
from xstilts.errors import XstiltsError
from xstilts.examples import ChoiceExample, Example, example_texts
from xstilts.tasks import get_task
from xstilts.training.sampler import task_probabilities


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
        return SplitSize(
            self._limit(size.rows, split), size.sequences, min(size.tokens, max_length)
        )

    def _limit(self, rows: int, split: str) -> int:
        data = self.params.data
        limit = data.max_train_examples if split == "train" else data.max_eval_examples
        return rows if limit is None else min(rows, limit)

    def _load(self, task: str, split: str, lang: str) -> SplitSize:
        spec = get_task(task)
        if self.params.profile == "sample":
            from xstilts.data.sources import load_examples

            return _measured(load_examples(spec, split, lang, "sample", self.data_root))
        if spec.size is None or split not in spec.size.rows:
            raise XstiltsError(f"task {task} states no size for split '{split}' (TaskSpec.size)")
        return SplitSize(spec.size.rows[split], spec.size.sequences, spec.size.tokens)


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


def _train_hours(
    params: Params, sizes: Sizes, tasks: tuple[str, ...], config: TrainingConfig
) -> tuple[int, int, float]:
    """(training examples, optimizer steps, GPU-hours incl. dev evaluations) of one run."""
    plan = params.plan
    train = {t: sizes.get(t, "train", config.max_length_for(t)) for t in tasks}
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


def plan_runs(params: Params, data_root: str | Path | None = None) -> list[Run]:
    """Every intermediate, target and evaluate run of the profile, in pipeline order."""
    sizes = Sizes(params, Path(data_root or params.data.root))
    runs = [Run("prepare", "-", "-", -1, 0, 0, 0.0), _base_run(params)]
    for condition, tasks in params.conditions.items():
        for seed in params.seeds:
            if not tasks:
                runs.append(Run("intermediate", condition, "-", seed, 0, 0, 0.0))
                continue
            n, steps, hours = _train_hours(params, sizes, tasks, params.intermediate)
            runs.append(Run("intermediate", condition, "+".join(tasks), seed, n, steps, hours))
    for condition in params.conditions:
        for task in params.targets:
            for seed in params.seeds:
                for step, config in params.target.steps_for(task):
                    n, steps, hours = _train_hours(params, sizes, (step,), config)
                    label = task if step == task else f"{task}<-{step}"
                    runs.append(Run("target", condition, label, seed, n, steps, hours))
    for condition in params.conditions:
        for task in params.targets:
            n, hours = _eval_hours(params, sizes, task)
            runs += [Run("evaluate", condition, task, s, n, 0, hours) for s in params.seeds]
    return runs


def _base_run(params: Params) -> Run:
    if params.base.source == "hub":
        return Run("base", "-", params.base.hub_model, -1, 0, 0, 0.0)
    pre = params.base.pretrain
    tokens = pre.batch_size * pre.max_length
    step = max(params.plan.step_seconds, tokens / params.plan.tokens_per_second)
    return Run("base", "-", "mlm", pre.seed, 0, pre.max_steps, pre.max_steps * step / 3600)


def _eval_hours(params: Params, sizes: Sizes, task: str) -> tuple[int, float]:
    """Forward passes of one evaluate run: the clean test sets, every perturbation variant of
    the robustness subsample, and the attacks at their full query budgets (an upper bound:
    most attacks stop at the first flip)."""
    robustness = params.robustness
    max_length = params.target.training_for(task).max_length_for(task)
    tests = [sizes.get(task, "test", max_length, lang) for lang in target_languages(params, task)]
    variants = len(robustness.families) * len(robustness.strengths)
    queries = sum(a.max_queries for a in robustness.attacks.values())
    tokens = 0
    for size in tests:
        perturbed = _capped(size.rows, robustness.max_examples)
        attacked = _capped(perturbed, robustness.attack_examples)
        tokens += size.example_tokens * (size.rows + perturbed * variants + attacked * queries)
    hours = tokens * params.plan.forward_cost / params.plan.tokens_per_second / 3600
    return sum(s.rows for s in tests), hours


def _capped(rows: int, limit: int | None) -> int:
    return rows if limit is None else min(rows, limit)


def format_plan(params: Params, runs: list[Run]) -> str:
    """The table of runs, totals per stage, and the assumptions behind the estimate."""
    lines = [
        f"{'stage':<13}{'condition':<15}{'task':<42}{'seed':>5}{'examples':>11}{'steps':>9}"
        f"{'GPU-h':>9}"
    ]
    for r in runs:
        seed = "-" if r.seed < 0 else str(r.seed)
        lines.append(
            f"{r.stage:<13}{r.condition:<15}{r.task:<42}{seed:>5}{r.examples:>11,}"
            f"{r.steps:>9,}{r.gpu_hours:>9.2f}"
        )
    lines.append("")
    for stage in dict.fromkeys(r.stage for r in runs):
        chosen = [r for r in runs if r.stage == stage]
        hours = sum(r.gpu_hours for r in chosen)
        steps = sum(r.steps for r in chosen)
        lines.append(
            f"total {stage:<13}{len(chosen):>5} runs{steps:>13,} steps{hours:>10.1f} GPU-h"
        )
    total = sum(r.gpu_hours for r in runs)
    lines.append(f"total{'':<14}{len(runs):>5} runs{'':>19}{total:>10.1f} GPU-h")
    plan = params.plan
    lines.append(
        f"assumes one GPU at {plan.tokens_per_second:,.0f} training tokens/s, at least "
        f"{plan.step_seconds} s per optimizer step, forward-only tokens at {plan.forward_cost:.2f} "
        "of that; steps are upper bounds (early stopping may end runs sooner), and so is evaluate "
        "(clean + perturbed test sets + attacks at their full query budget)"
    )
    return "\n".join(lines)
