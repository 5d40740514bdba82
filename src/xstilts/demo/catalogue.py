"""The models the demo compares: every checkpoint under one directory, loaded once.

A checkpoint is a directory written by `MultiTaskModel.save` (`meta.json`, `heads.safetensors`,
`encoder/`, tokenizer files). The sample pipeline writes them to `models/target/<condition>/
<task>/seed<n>`, a full run to the same layout; any other directory of such checkpoints works
too. A checkpoint serves a target task when its meta names the task, or else when it has a head
of that task's kind and label space (an MNLI checkpoint's `nli` head can be tried on XNLI).

Directories that look like checkpoints but cannot be read stop the start-up with one message
naming the path; directories whose names start with "." (a stage's unfinished temp output) are
skipped. Only safetensors weights are read (`load_checkpoint` never unpickles).
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from xstilts.errors import XstiltsError
from xstilts.modeling.meta import META_FILE, read_meta
from xstilts.modeling.model import HEADS_FILE, MultiTaskModel, load_checkpoint
from xstilts.tasks import all_tasks, get_task

CHECKPOINT_MARKERS = (META_FILE, HEADS_FILE, "encoder")


@dataclass
class LoadedModel:
    """One checkpoint ready to predict one target task."""

    key: str  # unique within the catalogue: "<condition>/<task>/seed<n>" or the relative path
    label: str  # what the UI shows among the models of one task: "multi · seed0"
    path: Path
    task: str
    condition: str
    seed: int | None
    head: str
    labels: tuple[str, ...]  # class names; empty for multiple choice
    model: MultiTaskModel
    tokenizer: PreTrainedTokenizerBase
    tokenizer_id: str  # identical tokenizers share this fingerprint
    meta: dict[str, Any] = field(default_factory=dict, repr=False)
    # One lock per checkpoint, shared by every entry of it (one checkpoint may serve several
    # tasks). Whoever calls the model *or its tokenizer* holds it: a fast tokenizer keeps its
    # truncation setting in shared state that every call rewrites, so an unlocked
    # `tokenizer.encode` in one request can switch truncation off under another request's batch.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


@dataclass
class Catalogue:
    root: Path
    models: dict[str, LoadedModel]  # by key, sorted by task, condition, seed

    def tasks(self) -> list[str]:
        return sorted({m.task for m in self.models.values()})

    def for_task(self, task: str) -> list[LoadedModel]:
        return [m for m in self.models.values() if m.task == task]

    def get(self, key: str) -> LoadedModel:
        if key not in self.models:
            raise XstiltsError(f"unknown model {key!r}; loaded: {', '.join(self.models)}")
        return self.models[key]


def find_checkpoints(root: str | Path) -> list[Path]:
    """Every checkpoint directory under `root` (or `root` itself), sorted."""
    root = Path(root)
    if not root.is_dir():
        raise XstiltsError(
            f"model directory {root} does not exist; run the sample pipeline (`make repro`) "
            "or pass --models DIR pointing at a directory of checkpoints"
        )
    found = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        here = Path(current)
        if any(m in files or m in dirs for m in CHECKPOINT_MARKERS) and _looks_like_model(here):
            found.append(here)
            dirs[:] = []  # encoder/ is part of this checkpoint
    return sorted(found)


def _looks_like_model(path: Path) -> bool:
    """A base MLM directory has meta.json too, but no heads: it predicts nothing."""
    if (path / HEADS_FILE).exists() or (path / "encoder").is_dir():
        return True
    if not (path / META_FILE).exists():
        return False
    return "heads" in read_meta(path)


def serves(meta: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(target task, head) pairs a checkpoint can predict."""
    heads = meta.get("heads")
    if not isinstance(heads, list) or not heads:
        return []
    targets = {n: s for n, s in all_tasks().items() if s.role == "target"}
    named = meta.get("task")
    if named in targets:
        spec = targets[named]
        return [(named, h) for h in heads if h.get("name") == spec.head_name]
    pairs = []
    for name, spec in targets.items():
        for head in heads:
            same_labels = tuple(head.get("labels", ())) == spec.labels
            if head.get("kind") == spec.kind and same_labels and head.get("name") == spec.head_name:
                pairs.append((name, head))
    return pairs


def load_catalogue(
    root: str | Path,
    tasks: list[str] | None = None,
    conditions: list[str] | None = None,
    seeds: list[int] | None = None,
) -> Catalogue:
    """Load every matching checkpoint under `root`; raise one clear error on any bad one."""
    root = Path(root)
    hf_logging.disable_progress_bar()  # one bar per checkpoint says nothing here
    for task in tasks or []:
        get_task(task)  # unknown names fail before anything loads
    paths = find_checkpoints(root)
    models: dict[str, LoadedModel] = {}
    for path in paths:
        meta = read_meta(path) if (path / META_FILE).exists() else None
        if meta is None:
            raise XstiltsError(
                f"checkpoint {path} has no {META_FILE}; it is missing or corrupt, rerun the "
                "stage that writes it (`dvc repro`)"
            )
        rel = path.relative_to(root).as_posix() if path != root else path.name
        condition = str(meta.get("condition") or rel.split("/")[0])
        seed = meta.get("seed")
        if conditions and condition not in conditions:
            continue
        if seeds and seed not in seeds:
            continue
        wanted = [(t, h) for t, h in serves(meta) if not tasks or t in tasks]
        if not wanted:
            continue
        model, tokenizer, _ = load_checkpoint(path)
        fingerprint = _tokenizer_fingerprint(path)
        lock = threading.Lock()
        for task, head in wanted:
            key = f"{condition}/{task}/seed{seed}" if seed is not None else f"{rel}:{task}"
            if key in models:
                key = f"{rel}:{task}"
            label = f"{condition} · seed{seed}" if seed is not None else rel
            models[key] = LoadedModel(
                key=key,
                label=label,
                path=path,
                task=task,
                condition=condition,
                seed=seed,
                head=head["name"],
                labels=tuple(head.get("labels", ())),
                model=model,
                tokenizer=tokenizer,
                tokenizer_id=fingerprint,
                meta=meta,
                lock=lock,
            )
    if not models:
        what = f" for tasks {', '.join(tasks)}" if tasks else ""
        raise XstiltsError(
            f"no target-task checkpoints{what} under {root}; run the sample pipeline "
            "(`make repro`) or pass --models DIR pointing at a directory of checkpoints"
        )
    _unique_labels(models)
    order = sorted(models.values(), key=lambda m: (m.task, m.condition, m.seed or 0, m.key))
    return Catalogue(root, {m.key: m for m in order})


def _unique_labels(models: dict[str, LoadedModel]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for m in models.values():
        seen[(m.task, m.label)] = seen.get((m.task, m.label), 0) + 1
    for m in models.values():
        if seen[(m.task, m.label)] > 1:
            m.label = m.key


def _tokenizer_fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    for name in ("tokenizer.json", "tokenizer_config.json", "sentencepiece.bpe.model"):
        file = path / name
        if file.exists():
            digest.update(name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]
