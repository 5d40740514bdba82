"""What the intermediate and target stages share: building objectives from prepared data (and
the masked-LM objective of a condition that lists `mlm`), turning a `TrainingConfig` into a
`TrainingRun`, and running the loop."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from transformers import PreTrainedTokenizerBase

from xstilts.config import MLM_TASK, ExecutionConfig, TrainingConfig
from xstilts.data.mlm_corpus import prepared_languages, read_corpus
from xstilts.data.prepared import iter_examples, iter_split
from xstilts.errors import XstiltsError
from xstilts.examples import Example
from xstilts.modeling.encoding import encode
from xstilts.modeling.model import MultiTaskModel
from xstilts.modeling.predict_spans import SpanChoice
from xstilts.modeling.span_inputs import Windowing, encode_spans
from xstilts.tasks import get_task
from xstilts.training.loop import Trainer, TrainingRun, TrainResult
from xstilts.training.objectives import MaskedLMObjective, TaskObjective
from xstilts.training.span_objective import SpanObjective
from xstilts.training.tagging_objective import TaggingObjective

log = logging.getLogger(__name__)


def task_objective(
    task: str,
    prepared: Path,
    tokenizer: PreTrainedTokenizerBase,
    config: TrainingConfig,
    head: str | None = None,
    train_file: Path | None = None,
) -> TaskObjective:
    """The task's objective on its own head, or on `head` (a target's, trained by a step of
    its train_sequence); trained on its prepared train split, or on `train_file` (RS-DA's
    copies of it), selected on its prepared dev split either way."""
    max_length = config.max_length_for(task)
    spec = get_task(task)
    train = (
        iter_split(prepared, task, "train")
        if train_file is None
        else iter_examples(train_file, task)
    )
    if spec.kind == "span":
        return span_objective(task, prepared, tokenizer, config, head, train)
    common = {
        "name": task,
        "head": head or spec.head_name,
        "train": encode(train, tokenizer, max_length),
        "dev": encode(iter_split(prepared, task, "dev"), tokenizer, max_length),
        "pad_id": tokenizer.pad_token_id,
        "eval_batch_size": config.eval_batch_size,
    }
    if spec.kind == "tagging":
        for split in ("train", "dev"):
            if common[split].unk_words:
                log.warning(
                    "%s %s: %d words map to no token and are read as <unk>",
                    task,
                    split,
                    common[split].unk_words,
                )
        return TaggingObjective(**common, tag_names=spec.labels, metric=spec.metric)
    return TaskObjective(**common)


def span_objective(
    task: str,
    prepared: Path,
    tokenizer: PreTrainedTokenizerBase,
    config: TrainingConfig,
    head: str | None,
    train: Iterable[Example],
) -> SpanObjective:
    """A span task's objective: windows of its train split, answers chosen on dev windows."""
    spec = get_task(task)
    windowing = Windowing.of(config, task)
    encoded = {
        "train": encode_spans(train, tokenizer, windowing),
        "dev": encode_spans(iter_split(prepared, task, "dev"), tokenizer, windowing),
    }
    for split, data in encoded.items():
        if data.truncated_questions or data.unreachable_answers:
            log.warning(
                "%s %s: %d questions cut to %d tokens, %d answers on no context token",
                task,
                split,
                data.truncated_questions,
                windowing.max_query_length,
                data.unreachable_answers,
            )
    return SpanObjective(
        name=task,
        head=head or spec.head_name,
        train=encoded["train"],
        dev=encoded["dev"],
        pad_id=tokenizer.pad_token_id,
        eval_batch_size=config.eval_batch_size,
        choice=SpanChoice.of(config.spans),
        normalization=spec.normalization,
    )


def mlm_objective(
    prepared: Path, tokenizer: PreTrainedTokenizerBase, config: TrainingConfig
) -> MaskedLMObjective:
    """Masked LM on the prepared multilingual corpus, one line per sequence (cut at the
    recipe's max_length for `mlm`), masked as in pretraining (XLM-R's 15%)."""
    languages = prepared_languages(prepared)
    if not languages:
        raise XstiltsError(
            f"{prepared / MLM_TASK} holds no corpus: rerun the prepare stage (`dvc repro prepare`)"
        )
    max_length = config.max_length_for(MLM_TASK)

    def sequences(split: str) -> list[dict]:
        texts = read_corpus(prepared, split, languages)
        encoded = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
        return [{"input_ids": ids, "label": 0} for ids in encoded]

    return MaskedLMObjective(
        train=sequences("train"),
        dev=sequences("dev"),
        pad_id=tokenizer.pad_token_id,
        mask_id=tokenizer.mask_token_id,
        vocab_size=len(tokenizer),
        special_ids=tuple(sorted(set(tokenizer.all_special_ids))),
        name=MLM_TASK,
    )


def training_run(
    config: TrainingConfig, execution: ExecutionConfig, train_examples: int
) -> TrainingRun:
    """Steps come from `max_steps`, or from `epochs` over all training examples of the run."""
    return TrainingRun(config, config.sampler, config.total_steps(train_examples), execution)


def at_chance(score: float, chance: float, examples: int) -> bool:
    """True when a dev score is within two binomial standard errors of chance: the run did not
    learn the task (RACE is known to get stuck there)."""
    return score < chance + 2 * math.sqrt(chance * (1 - chance) / max(examples, 1))


def chance_level(objective: TaskObjective) -> float:
    """One in the number of labels (or choices); for tagging, one in the number of tags, which
    a model that never finds an entity (F1 0) stays under; for span QA, no floor (0)."""
    if isinstance(objective, SpanObjective):
        return 0.0
    first = objective.dev[0]["input_ids"]
    if first and isinstance(first[0], list):  # multiple choice
        return 1 / len(first)
    return 1 / len(get_task(objective.name).labels)


def fine_tune(
    model: MultiTaskModel,
    tasks: tuple[str, ...],
    config: TrainingConfig,
    execution: ExecutionConfig,
    prepared: Path,
    tokenizer: PreTrainedTokenizerBase,
    seed: int,
    state_dir: Path,
    run_name: str,
    head: str | None = None,
    train_files: dict[str, Path] | None = None,
) -> tuple[TrainResult, dict[str, Any]]:
    """Train `model` on `tasks` (on their own heads, or all on `head`; a task in `train_files`
    on that file's examples; `mlm` on the model's masked-LM head); returns the result (best
    weights loaded) and its summary. The best step is chosen on the labelled tasks' dev scores
    (the masked LM's is logged beside them). The caller clears `state_dir` once its outputs are
    safely written."""
    files = train_files or {}
    objectives = [
        mlm_objective(prepared, tokenizer, config)
        if t == MLM_TASK
        else task_objective(t, prepared, tokenizer, config, head, files.get(t))
        for t in tasks
    ]
    sizes = {o.name: o.size for o in objectives}
    run = training_run(config, execution, sum(sizes.values()))
    log.info("%s: tasks %s, %d steps", run_name, sizes, run.steps)
    labelled = tuple(t for t in tasks if t != MLM_TASK)
    trainer = Trainer(
        model, objectives, run, seed, state_dir, run_name=run_name, select_on=labelled or None
    )
    result = trainer.fit()
    log.info(
        "%s: %d process(es), %d micro-step(s) per step",
        run_name,
        trainer.processes,
        trainer.micro_steps,
    )
    stuck = [
        o.name
        for o in objectives
        if o.name != MLM_TASK and at_chance(result.best_scores[o.name], chance_level(o), len(o.dev))
    ]
    for task in stuck:
        log.warning(
            "%s: %s dev score %.3f is at chance: the task was not learned",
            run_name,
            task,
            result.best_scores[task],
        )
    summary = {
        "train_examples": sizes,
        "sampling_probabilities": trainer.sampler.probabilities,
        "steps": result.steps,
        "best_step": result.best_step,
        "dev": result.best_scores,
        "dev_mean": result.best_score,
        "at_chance": stuck,
        "task_steps": result.task_counts,
        "history": result.history,
        "resumed_from": result.resumed_from,
    }
    return result, summary
