"""What the page tells a reader before they try anything: which models these are, what the
conditions and perturbation families mean, what "unit share" counts, and where the run's report
is. Every line comes from the code or the checkpoints' own metadata (the condition list from
params.yaml, each family's one-line description from its module, the base model from each
checkpoint's `meta.json`), so the page cannot drift from what runs.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

from xstilts.config import MLM_TASK
from xstilts.demo.catalogue import LoadedModel
from xstilts.perturb import Perturbation
from xstilts.tasks import get_task

UNIT_SHARE = (
    "**Strength (unit share)**: the share of an input's units a family may edit, at most "
    "⌈strength × units⌉ of them. Units are the letters inside words for character-level families "
    "(grapheme clusters, so an accent stays with its letter) and the words for word-level ones. "
    "**Tokenizer sees the perturbation?** says whether the edit survives the model's own "
    "tokenizer: one it normalises away (a fullwidth letter, some invisible characters) is no "
    "test of robustness."
)

TAGGING_HELP = (
    "Words are split at spaces: in Chinese, Japanese, Thai and other scripts written without "
    "spaces, put a space between the words yourself (the models tag the words they are given, "
    "as the datasets give them). You give no tags: the sentence is perturbed with placeholder "
    "tags (all the first tag), which decide neither the words nor the alignment, and a perturbed "
    "word's tag counts as changed when it differs from the model's own clean tag carried onto "
    "it by the evaluation's rules (usually the tag of the clean word it comes from, ←n)."
)
NO_TAGGING = (
    "No tagging checkpoint (udpos, panx) is loaded: run the pipeline with a tagging target "
    "task, or pass --models DIR holding one."
)


def tagging_notice(task: str) -> str:
    """What the classification tabs say while a tagging task is selected."""
    return (
        f"**{task}** tags words: type its sentence in the **Tagging** tab (the other tabs need a "
        "sentence pair or a COPA item)."
    )


def pick_tagging_notice(tasks: Iterable[str]) -> str:
    """What the Tagging tab says while the selected task is not a tagging one."""
    return f"Pick a tagging task ({', '.join(tasks)}) as the target task above to tag a sentence."


def family_line(family: Perturbation) -> str:
    """`name` (unit): the first line of the family's module docstring."""
    doc = sys.modules[type(family).__module__].__doc__ or ""
    first = doc.strip().splitlines()[0] if doc.strip() else ""
    return f"`{family.name}` ({family.unit}s): {first}"


def condition_line(name: str, tasks: Iterable[str]) -> str:
    tasks = list(tasks)
    mlm = MLM_TASK in tasks
    labelled = [t.upper() for t in tasks if t != MLM_TASK]
    if not tasks:
        return (
            f"`{name}`: no intermediate training (the pretrained encoder goes straight to the "
            "target task): the baseline"
        )
    if mlm and not labelled:
        return (
            f"`{name}`: continued multilingual masked-LM training (every test language) as the "
            "intermediate training, then the target task"
        )
    if mlm:
        return (
            f"`{name}`: intermediate training on {' + '.join(labelled)} with multilingual "
            "masked-LM training mixed in (every test language), then the target task"
        )
    if len(labelled) == 1:
        return f"`{name}`: English intermediate training on {labelled[0]}, then the target task"
    return (
        f"`{name}`: English intermediate training on {' + '.join(labelled)} mixed in one "
        "multi-task run, then the target task"
    )


def base_line(models: Iterable[LoadedModel]) -> str:
    """Which pretrained models the checkpoints grew from, and how big they are."""
    bases, sizes = set(), set()
    for model in models:
        base = model.meta.get("base") or {}
        if base.get("source") == "hub":
            bases.add(f"{base.get('model')} at revision {str(base.get('revision'))[:12]}")
        elif base.get("source") == "pretrain":
            langs = ", ".join(base.get("languages") or ())
            bases.add(
                f"the sample world's tiny encoder, pretrained here on made-up languages ({langs})"
            )
        else:
            bases.add("a base model their metadata does not name")
        config = model.model.encoder.config
        params = sum(p.numel() for p in model.model.parameters())
        layers = config.num_hidden_layers
        sizes.add(
            f"{layers} layer{'s' if layers != 1 else ''} of width {config.hidden_size}, "
            f"{params:,} parameters"
        )
    return f"Models: {'; '.join(sorted(bases))} ({'; '.join(sorted(sizes))})."


def is_sample(models: Iterable[LoadedModel]) -> bool:
    return any((m.meta.get("base") or {}).get("source") == "pretrain" for m in models)


def header_markdown(models: list[LoadedModel], report: Path | None) -> str:
    """The short header above the inputs."""
    lines = [
        "# X-STILTs: does multi-task intermediate training make zero-shot transfer robust?",
        "Pick a target task and the models to compare (one per intermediate-training condition "
        "and seed), type an input in any language or pick an example, choose a perturbation, "
        "and compare each model's prediction on the clean and the perturbed input. The "
        "**Attack** tab searches for the smallest perturbation that flips each model.",
        base_line(models),
    ]
    tagging = sorted({m.task for m in models if get_task(m.task).kind == "tagging"})
    if tagging:
        lines.append(
            f"The **Tagging** tab tags each word of a sentence ({', '.join(tagging)}) with every "
            "model, clean and perturbed, and shows where a model's tag changed."
        )
    if is_sample(models):
        lines.append(
            "⚠️ These are the offline sample run's models. Their numbers show how the pipeline "
            "works and say nothing about XLM-R; the examples from the sample world are made-up "
            "pseudo-words, and scripts it never saw (Greek, Hebrew, Thai...) read as unknown "
            "tokens."
        )
    if report is not None:
        lines.append(f"The run's full results are in the **Report** tab (`{report}`).")
    return "\n\n".join(lines)


def guide_markdown(conditions: dict[str, tuple[str, ...]], families: list[Perturbation]) -> str:
    """The conditions, the families and what strength means: one line each."""
    return "\n".join(
        [
            "**Conditions** (how each model was trained before the target task):",
            *(f"- {condition_line(n, t)}" for n, t in conditions.items()),
            "",
            "**Perturbation families**:",
            *(f"- {family_line(f)}" for f in families),
            "",
            UNIT_SHARE,
        ]
    )


def report_markdown(path: Path | None) -> str:
    """REPORT.md for the page: its figures are files the page does not serve, so each image
    becomes a line that names it."""
    if path is None or not path.is_file():
        where = f"`{path}`" if path else "no report given (--report FILE)"
        return f"No report yet ({where}): run the pipeline (`make repro`) to write it."
    text = path.read_text(encoding="utf-8")
    return re.sub(r"!\[([^\]]*)\]\(([^)]*)\)", r"*(figure: \1, `\2` beside the report)*", text)
