"""Tiny checkpoints and a running demo server for the app tests.

The checkpoints are built here, in seconds, with the sample tokenizer trained on the small test
world: the tests never depend on `models/` (a clean clone has none until the pipeline ran) nor on
the order tests run in. They have the real on-disk layout (`MultiTaskModel.save`) under
`<root>/models/target/<condition>/<task>/seed0`, plus metrics files under `<root>/metrics`.
"""

from __future__ import annotations

import json
import runpy
import socket
from pathlib import Path

from xstilts.config import parse_params
from xstilts.retrieval.sets import write_sets
from xstilts.tasks import get_task

from .conftest import SMALL_WORLD, deep_update, sample_profile
from .tiny_models import corpus_lines, tiny_model, tiny_tokenizer

REPO = Path(__file__).resolve().parents[1]
CONDITIONS = ("none", "multi")
TASKS = ("xnli", "pawsx", "xcopa")
_BUILT: dict[str, Path] = {}


def build_demo_root(world: Path, root: Path) -> Path:
    """Write tiny target checkpoints and metrics under `root` (once per test session)."""
    if "root" in _BUILT:
        return _BUILT["root"]
    tokenizer = tiny_tokenizer(corpus_lines(world), vocab_size=600)
    for index, condition in enumerate(CONDITIONS):
        for task in TASKS:
            model = tiny_model(tokenizer, [task], seed=index)
            out = root / "models" / "target" / condition / task / "seed0"
            out.mkdir(parents=True)
            meta = {
                "stage": "target",
                "condition": condition,
                "task": task,
                "seed": 0,
                "base": {"source": "pretrain", "languages": ["ar", "en", "hi", "ru", "vi", "zh"]},
                "intermediate_tasks": [] if condition == "none" else ["qqp", "mnli", "race"],
            }
            model.save(out, tokenizer, meta)
            write_metrics(root / "metrics", condition, task, 0.5 + 0.1 * index)
    write_retrieval(world, root)
    _BUILT["root"] = root
    return root


def write_retrieval(world: Path, root: Path) -> None:
    """The Retrieval tab's inputs: the world's Tatoeba-shaped sets, and an intermediate
    checkpoint folder per condition whose meta names no encoder, so that each condition's
    encoder is the base model (the tracked sample encoder, `pretrained/`)."""
    params = parse_params(deep_update(sample_profile(), {"sample_world": SMALL_WORLD}))
    write_sets(params, root / "retrieval_sets", world)
    for condition in CONDITIONS:
        folder = root / "models" / "intermediate" / condition / "seed0"
        folder.mkdir(parents=True)
        (folder / "meta.json").write_text(json.dumps({"encoder": None}), encoding="utf-8")


def write_metrics(metrics: Path, condition: str, task: str, accuracy: float) -> None:
    path = metrics / "evaluate" / condition / task / "seed0.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "condition": condition,
        "task": task,
        "seed": 0,
        "dev_en": accuracy,
        "accuracy": {"en": accuracy, "ru": accuracy - 0.1, "ar": accuracy - 0.2},
        "mean": accuracy - 0.1,
        "chance": 1 / max(2, len(get_task(task).labels)),
        "mean_zero_shot": accuracy - 0.15,
        "examples": {"en": 40, "ru": 40, "ar": 40},
        # the evaluate stage's robustness sections (per language detail, zero-shot means)
        "perturbations": {
            "char_swap@0.1": {
                "languages": {"ru": {"accuracy": 0.1}},
                "mean_zero_shot": {
                    "accuracy": accuracy - 0.2,
                    "drop": 0.05,
                    "drop_effective": 0.08 if condition == "multi" else None,
                    "effective_rate": 0.6,
                },
            }
        },
        "attacks": {
            "typo": {
                "languages": {"ru": {"accuracy": 0.0}},
                "mean_zero_shot": {"accuracy": 0.25, "success_rate": 0.4, "mean_queries": 57.5},
            }
        },
        # a key of unknown shape is shown too (numeric leaves, languages left out)
        "extra": {"score": 0.5, "ru": 0.1},
    }
    path.write_text(json.dumps(record), encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_module() -> dict:
    """app/main.py's namespace (the app is a script, not a package)."""
    return runpy.run_path(str(REPO / "app" / "main.py"), run_name="xstilts_app")


def start_app(root: Path, world: Path, *extra: str):
    """Launch the demo on a free port without blocking; returns (namespace, demo, url)."""
    app = app_module()
    args = app["parse_args"](
        [
            "--models", str(root / "models" / "target"),
            "--metrics", str(root / "metrics"),
            "--params", str(root / "no-params.yaml"),
            "--lexicons", str(world / "lexicon"),
            "--retrieval-sets", str(root / "retrieval_sets"),
            "--encoders", str(root / "models" / "intermediate"),
            "--base", str(REPO / "pretrained"),
            *extra,
        ]
    )  # fmt: skip
    service = app["build_service"](args)
    demo = app["build_demo"](service)
    _, url, _ = app["launch"](
        demo,
        host="127.0.0.1",
        port=free_port(),
        queue_size=args.queue_size,
        concurrency=args.concurrency,
        prevent_thread_lock=True,
    )
    return app, service, demo, url


TAGGING_CONDITIONS = {"none": [], "mnli": ["mnli"], "multi": ["qqp", "mnli", "race"]}
TAGGING_TASKS = ("udpos", "panx")


def build_tagging_root(world: Path, root: Path) -> Path:
    """Tiny tagging target checkpoints (udpos, panx; a baseline, a single-task and a multi-task
    condition) and one xnli checkpoint beside them under `root/models/target`, once per test
    session: a catalogue mixing both kinds of target, as a run with both has. Heads are the
    tasks' own (`HeadInfo.for_task`: kind "tagging", the tag names as labels), the meta as the
    pipeline writes it."""
    targets = [(c, t) for c in TAGGING_CONDITIONS for t in TAGGING_TASKS] + [("none", "xnli")]
    return _build_targets("tagging", world, root, targets, TAGGING_CONDITIONS)


QA_CONDITIONS = {"none": [], "multi": ["qqp", "mnli", "race"]}


def build_qa_root(world: Path, root: Path) -> Path:
    """Tiny QA target checkpoints (xquad under a baseline and a multi-task condition) and one
    xnli checkpoint beside them under `root/models/target`, once per test session; heads are the
    task's own (`HeadInfo.for_task`: kind "span"), the meta as the pipeline writes it."""
    targets = [(c, "xquad") for c in QA_CONDITIONS] + [("none", "xnli")]
    return _build_targets("qa", world, root, targets, QA_CONDITIONS)


def _build_targets(
    key: str,
    world: Path,
    root: Path,
    targets: list[tuple[str, str]],
    conditions: dict[str, list[str]],
) -> Path:
    """One tiny target checkpoint per (condition, task) under `root/models/target`, built once
    per test session under `key`."""
    if key in _BUILT:
        return _BUILT[key]
    tokenizer = tiny_tokenizer(corpus_lines(world), vocab_size=600)
    for index, (condition, task) in enumerate(targets):
        model = tiny_model(tokenizer, [task], seed=index)
        out = root / "models" / "target" / condition / task / "seed0"
        out.mkdir(parents=True)
        meta = {
            "stage": "target",
            "condition": condition,
            "task": task,
            "seed": 0,
            "base": {"source": "pretrain", "languages": ["ar", "en", "hi", "ru", "vi", "zh"]},
            "intermediate_tasks": conditions[condition],
        }
        model.save(out, tokenizer, meta)
    _BUILT[key] = root
    return root
