"""The `prepare` stage's library side: load every split a run needs once, validate it, and
write it as typed-example JSONL that all later stages read (so no stage talks to the hub twice).

Layout: `<prepared>/<task>/<split>.<lang>.jsonl` plus `<prepared>/summary.json`; and, when a
condition lists `mlm`, its multilingual corpus in `<prepared>/mlm/` (`mlm_corpus`). A span
target's cross-language test sets (`evaluate.cross_language`) are the splits
`test-question-<question language>`, one file per context language.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from xstilts.config import MLM_TASK, Params
from xstilts.data.mlm_corpus import write_corpus
from xstilts.data.sources import load_split, source_name
from xstilts.errors import XstiltsError
from xstilts.examples import (
    Example,
    SpanExample,
    TaggedExample,
    example_from_dict,
    example_to_dict,
    required_texts,
)
from xstilts.io import atomic_dir, dumps, iter_jsonl, write_jsonl
from xstilts.tasks import get_task
from xstilts.tasks.spec import cross_split


@dataclass(frozen=True)
class SplitKey:
    task: str
    split: str
    lang: str

    @property
    def filename(self) -> str:
        return f"{self.task}/{self.split}.{self.lang}.jsonl"


def target_languages(params: Params, task: str) -> tuple[str, ...]:
    """Evaluation languages of a target task in the active profile (restricted by params)."""
    spec = get_task(task)
    pool = spec.languages
    if params.profile == "sample":
        pool = tuple(
            lang
            for lang in params.sample_world.languages
            if spec.sample_languages is None or lang in spec.sample_languages
        )
    chosen = params.data.languages
    return tuple(lang for lang in pool if chosen is None or lang in chosen)


def training_tasks(params: Params) -> tuple[str, ...]:
    """Every task whose English train and dev splits the run needs, each once: the
    intermediate tasks, then each target's training steps (the target itself, or its
    `train_sequence`, e.g. SIQA then COPA for XCOPA). Not `mlm`: its corpus is no task's
    (`mlm_corpus`)."""
    names = sorted({t for tasks in params.conditions.values() for t in tasks} - {MLM_TASK})
    for target in params.targets:
        names += [s for s in params.target.step_tasks(target) if s not in names]
    return tuple(names)


def cross_language_pairs(params: Params, task: str) -> list[tuple[str, str]]:
    """(context language, question language) of every cross-language test set the run
    evaluates `task` on: each ordered pair of its test languages, when `evaluate.cross_language`
    is on and the task has such sets (MLQA's G-XLT); none otherwise."""
    if not params.evaluate.cross_language or get_task(task).cross_language_test is None:
        return []
    languages = target_languages(params, task)
    return [(c, q) for c in languages for q in languages if c != q]


def planned_splits(params: Params) -> list[SplitKey]:
    keys = [SplitKey(t, split, "en") for t in training_tasks(params) for split in ("train", "dev")]
    for target in params.targets:
        keys += [SplitKey(target, "test", lang) for lang in target_languages(params, target)]
        keys += [
            SplitKey(target, cross_split(q), c) for c, q in cross_language_pairs(params, target)
        ]
    return keys


def subsample(examples: list[Example], key: SplitKey, params: Params) -> list[Example]:
    """Training splits: a seeded random subset; eval splits: the first N (keeps test sets
    parallel across languages)."""
    limit = (
        params.data.max_train_examples if key.split == "train" else params.data.max_eval_examples
    )
    if limit is None or len(examples) <= limit:
        return examples
    if key.split != "train":
        return examples[:limit]
    keep = sorted(random.Random(f"subsample:{key.task}").sample(range(len(examples)), limit))
    return [examples[i] for i in keep]


def validate(examples: list[Example], key: SplitKey, where: str) -> None:
    seen: Counter[str] = Counter(e.id for e in examples)
    duplicated = [i for i, n in seen.items() if n > 1]
    if duplicated:
        raise XstiltsError(f"{where}: duplicate example id {duplicated[0]!r}")
    for index, example in enumerate(examples):
        if example.lang != key.lang:
            raise XstiltsError(f"{where}, row {index}: language {example.lang!r}, not {key.lang!r}")
        if any(not text.strip() for text in required_texts(example)):
            raise XstiltsError(f"{where}, row {index}: empty text")
    labels = label_counts(examples)
    if key.split == "train" and labels and len(labels) < 2:
        raise XstiltsError(f"{where}: every training example has the same label")


def label_counts(examples: list[Example]) -> Counter[str]:
    """How often each label occurs (for tagging: each tag, over all words; span QA has no
    labels)."""
    return Counter(str(label) for e in examples for label in example_labels(e))


def example_labels(example: Example) -> tuple[int, ...]:
    if isinstance(example, TaggedExample):
        return example.tags
    if isinstance(example, SpanExample):
        return ()
    return (example.label,)


def prepare(params: Params, out_dir: str | Path, data_root: str | Path | None = None) -> dict:
    """Load, validate and write every split the run needs; return the summary."""
    data_root = Path(data_root or params.data.root)
    summary: dict[str, dict] = {}
    with atomic_dir(out_dir) as tmp:
        for key in planned_splits(params):
            spec = get_task(key.task)
            where = source_name(spec, key.split, key.lang, params.profile, data_root)
            loaded = load_split(spec, key.split, key.lang, params.profile, data_root)
            examples = subsample(loaded.examples, key, params)
            validate(examples, key, where)
            (tmp / key.task).mkdir(exist_ok=True)
            write_jsonl(tmp / key.filename, (example_to_dict(e) for e in examples))
            summary[key.filename] = {
                "source": where,
                "examples": len(examples),
                "labels": dict(sorted(label_counts(examples).items())),
            }
            if loaded.skipped:
                summary[key.filename]["skipped_rows"] = dict(sorted(loaded.skipped.items()))
            if loaded.repaired:
                summary[key.filename]["repaired_rows"] = dict(sorted(loaded.repaired.items()))
        if params.mlm_conditions:
            summary.update(write_corpus(params, tmp, data_root))
        (tmp / "summary.json").write_text(dumps(summary), encoding="utf-8")
    return summary


def read_split(prepared: str | Path, task: str, split: str, lang: str = "en") -> list[Example]:
    return list(iter_split(prepared, task, split, lang))


def iter_split(prepared: str | Path, task: str, split: str, lang: str = "en") -> Iterator[Example]:
    """The split's examples one at a time, so that a large split is never all in memory (the
    missing-file error comes at once, not at the first example)."""
    path = Path(prepared) / SplitKey(task, split, lang).filename
    if not path.exists():
        raise XstiltsError(f"{path} is missing; run the prepare stage (`dvc repro prepare`)")
    return iter_examples(path, task)


def iter_examples(path: Path, task: str) -> Iterator[Example]:
    """The examples of `task` in a JSONL file of example records (a prepared split, or a
    training set made from one, such as RS-DA's copies)."""
    if not path.exists():
        raise XstiltsError(f"{path} is missing; run `dvc repro` for the stage that writes it")
    kind = get_task(task).kind
    return (example_from_dict(kind, record) for record in iter_jsonl(path))
