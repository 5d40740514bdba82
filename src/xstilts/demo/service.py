"""The requests the demo serves: perturb, compare, attack, headline. No widgets here.

Every prediction goes through `xstilts.predict.predict`, the path evaluation and the attack use.
Models are loaded once (`catalogue.load_catalogue`) and shared by all requests; each model has a
lock, so concurrent requests never run one model (and its tokenizer, which is not thread-safe)
twice at the same time, while different models run side by side.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xstilts.attack import AttackBudget, Attacker
from xstilts.demo.catalogue import Catalogue, LoadedModel
from xstilts.demo.headline import headline_table
from xstilts.demo.inputs import (
    DemoInput,
    InputError,
    Limits,
    check_seed,
    check_strength,
    make_input,
)
from xstilts.demo.perturbview import (
    Segment,
    diff_edits,
    effective_for,
    example_segments,
    perturb_example,
    text_fields,
)
from xstilts.examples import ChoiceExample, Example
from xstilts.perturb import Perturbation, Resources, build_families, families, rng_for
from xstilts.predict import predict

Progress = Callable[[float, str], None]
PREDICTION_HEADER = [
    "model",
    "clean prediction",
    "perturbed prediction",
    "changed?",
    "tokenizer sees the perturbation?",
    "clean probabilities",
    "perturbed probabilities",
]
EFFECTIVE_HEADER = ["model", "tokenizer sees the perturbation?"]
ATTACK_HEADER = [
    "model",
    "clean prediction",
    "adversarial prediction",
    "flipped?",
    "queries",
    "perturbed units",
    "adversarial text",
]
CHANGED, SAME = "⚠ changed", "= same"


@dataclass(frozen=True)
class AttackSettings:
    """The user's budget for one attack, checked against the server's limits."""

    max_unit_fraction: float = 0.2
    max_queries: int = 200
    beam_width: int = 1
    candidates_per_unit: int = 4
    families: tuple[str, ...] = ()  # empty: every family that supports the language


@dataclass
class Result:
    """What one request returns: a table, highlighted text, and a message for the user."""

    header: list[str]
    rows: list[list[str]]
    segments: list[Segment] = field(default_factory=list)
    message: str = ""


def _probs_text(names: list[str], probs: np.ndarray) -> str:
    return " · ".join(f"{n} {p:.2f}" for n, p in zip(names, probs, strict=False))


def _top(names: list[str], probs: np.ndarray) -> str:
    index = int(np.argmax(probs))
    return f"{names[index]} ({probs[index]:.0%})"


def class_names(model: LoadedModel, example: Example) -> list[str]:
    if model.labels:
        return list(model.labels)
    n = len(example.choices) if isinstance(example, ChoiceExample) else 1
    return [f"choice {i + 1}" for i in range(n)]


class DemoService:
    def __init__(
        self,
        catalogue: Catalogue,
        metrics_dir: Path | None = None,
        lexicon_dir: Path | None = None,
        limits: Limits | None = None,
        max_length: int = 256,
        runs: tuple[list[str] | None, list[int] | None] = (None, None),
        attack_presets: dict[str, AttackSettings] | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.metrics_dir = Path(metrics_dir) if metrics_dir else None
        self.lexicon_dir = Path(lexicon_dir) if lexicon_dir and Path(lexicon_dir).is_dir() else None
        self.limits = limits or Limits()
        self.max_length = max_length
        self.runs = runs
        self.attack_presets = dict(attack_presets or {})  # the run's attacks (params.yaml)
        self._families: dict[str, dict[str, Perturbation]] = {}
        self._families_lock = threading.Lock()

    # --- what the UI offers -----------------------------------------------------------------

    def tasks(self) -> list[str]:
        return self.catalogue.tasks()

    def model_choices(self, task: str) -> list[tuple[str, str]]:
        """(label, key) of every model that serves `task`."""
        return [(m.label, m.key) for m in self.catalogue.for_task(task)]

    @staticmethod
    def family_names() -> list[str]:
        return families()

    # --- checks -----------------------------------------------------------------------------

    def check_models(self, task: str, keys: object) -> list[LoadedModel]:
        if isinstance(keys, str):
            keys = [keys]
        if not keys:
            raise InputError("no model selected: tick at least one model to compare")
        if not isinstance(keys, list | tuple) or not all(isinstance(k, str) for k in keys):
            raise InputError(f"models must be a list of model names, got {keys!r}")
        if len(keys) > self.limits.max_models:
            raise InputError(f"{len(keys)} models selected; at most {self.limits.max_models}")
        served = {m.key: m for m in self.catalogue.for_task(task)}
        unknown = [k for k in keys if k not in served]
        if unknown:
            raise InputError(
                f"model(s) {', '.join(map(repr, unknown))} do not serve {task}; "
                f"available: {', '.join(served)}"
            )
        return [served[k] for k in dict.fromkeys(keys)]

    def check_task(self, task: object) -> str:
        if task not in self.tasks():
            raise InputError(
                f"task {task!r} has no loaded model; available: {', '.join(self.tasks())}"
            )
        return str(task)

    def check_family(self, name: object) -> str:
        if name not in families():
            raise InputError(
                f"unknown perturbation family {name!r}; known: {', '.join(families())}"
            )
        return str(name)

    def families_for(self, tokenizer_id: str, tokenizer: Any) -> dict[str, Perturbation]:
        """Every family, built once per tokenizer (homoglyph and invisible drop what it erases)."""
        with self._families_lock:
            if tokenizer_id not in self._families:
                resources = Resources(lexicon_dir=self.lexicon_dir, tokenizer=tokenizer)
                self._families[tokenizer_id] = build_families(families(), resources)
            return self._families[tokenizer_id]

    def _view_family(self, models: list[LoadedModel], name: str) -> Perturbation:
        """One family instance for all models, so all see the same perturbed input: built with
        their tokenizer when they share one, else with the static check."""
        ids = {m.tokenizer_id for m in models}
        if len(ids) == 1:
            return self.families_for(models[0].tokenizer_id, models[0].tokenizer)[name]
        return self.families_for("static", None)[name]

    def _length(self, model: LoadedModel) -> int:
        positions = model.model.encoder.config.max_position_embeddings - 2  # XLM-R's offset
        return max(8, min(self.max_length, positions))

    # --- requests ---------------------------------------------------------------------------

    def parse(self, task: object, fields: dict[str, object], language: object) -> DemoInput:
        return make_input(self.check_task(task), fields, language, self.limits)

    def perturb(
        self,
        request: DemoInput,
        model_keys: object,
        family: object,
        strength: object,
        seed: object,
    ) -> Result:
        models = self.check_models(request.task, model_keys)
        view = self._perturb(request, models, family, strength, seed)
        rows = [[m.label, self._effective_text(m, view)] for m in models]
        return Result(EFFECTIVE_HEADER, rows, self._segments(view), self._message(request, view))

    def compare(
        self,
        request: DemoInput,
        model_keys: object,
        family: object,
        strength: object,
        seed: object,
    ) -> Result:
        """Each model's probabilities on the clean and the perturbed input, side by side."""
        models = self.check_models(request.task, model_keys)
        view = self._perturb(request, models, family, strength, seed)
        rows = []
        for model in models:
            with model.lock:
                probs = predict(
                    model.model,
                    model.tokenizer,
                    model.head,
                    [view.clean, view.perturbed],
                    max_length=self._length(model),
                    batch_size=2,
                )
            names = class_names(model, view.clean)
            changed = int(np.argmax(probs[0])) != int(np.argmax(probs[1]))
            rows.append(
                [
                    model.label,
                    _top(names, probs[0]),
                    _top(names, probs[1]),
                    CHANGED if changed else SAME,
                    self._effective_text(model, view),
                    _probs_text(names, probs[0]),
                    _probs_text(names, probs[1]),
                ]
            )
        flips = sum(r[3] == CHANGED for r in rows)
        message = self._message(request, view)
        message += f"\n\nPrediction changed for {flips} of {len(rows)} model(s)."
        return Result(PREDICTION_HEADER, rows, self._segments(view), message.strip())

    def attack(
        self,
        request: DemoInput,
        model_keys: object,
        settings: AttackSettings,
        seed: object,
        progress: Progress | None = None,
    ) -> Result:
        """The adversarial search against each model, within the user's budget."""
        models = self.check_models(request.task, model_keys)
        seed = check_seed(seed)
        budget = self._budget(settings)
        rows: list[list[str]] = []
        segments: list[Segment] = []
        for index, model in enumerate(models):
            available = self.families_for(model.tokenizer_id, model.tokenizer)
            chosen = {
                n: f
                for n, f in available.items()
                if (not settings.families or n in settings.families)
                and f.supports(request.language)
            }
            if not chosen:
                raise InputError(
                    f"none of the chosen families supports language '{request.language}'"
                )
            attacker = Attacker(
                model.model, model.tokenizer, model.head, chosen, max_length=self._length(model)
            )

            def step(fraction: float, i: int = index, label: str = model.label) -> None:
                if progress is not None:
                    done = min(max(float(fraction), 0.0), 1.0)
                    progress((i + done) / len(models), f"attacking {label}")

            step(0.0)
            rng = rng_for(seed, "demo-attack", model.key)
            with model.lock:
                result = attacker.attack(request.example, request.language, budget, rng, step)
            step(1.0)
            names = class_names(model, request.example)
            adversarial = dict(text_fields(result.adversarial))
            edits = {}
            for key, clean_text in text_fields(request.example):
                recorded = result.edits.get(key)
                edits[key] = (
                    tuple(recorded)
                    if recorded is not None
                    else diff_edits(clean_text, adversarial[key])
                )
            rows.append(
                [
                    model.label,
                    _top(names, np.asarray(result.clean_probs)),
                    _top(names, np.asarray(result.adversarial_probs)),
                    "✔ flipped" if result.flipped else "✘ held",
                    str(result.queries),
                    f"{result.perturbed_units} / {result.total_units}",
                    " ‖ ".join(adversarial.values()),
                ]
            )
            segments += example_segments(request.example, edits, header=f"— {model.label} —")
            segments.append(("\n", None))
        flipped = sum(r[3].startswith("✔") for r in rows)
        message = "\n\n".join(f"ℹ️ {n}" for n in request.notes)
        message += (
            f"\n\nAttack flipped {flipped} of {len(rows)} model(s) (language "
            f"'{request.language}', at most {budget.max_queries} queries and "
            f"{budget.max_unit_fraction:.0%} of the units each)."
        )
        return Result(ATTACK_HEADER, rows, segments, message.strip())

    def headline(self, task: str) -> Result:
        if self.metrics_dir is None:
            return Result(["metric"], [], message="No metrics directory given (--metrics DIR).")
        header, rows, note = headline_table(self.metrics_dir, task, *self.runs)
        return Result(header, rows, message=note)

    # --- helpers ----------------------------------------------------------------------------

    def _perturb(self, request, models, family, strength, seed):
        name = self.check_family(family)
        strength, seed = check_strength(strength), check_seed(seed)
        instance = self._view_family(models, name)
        return perturb_example(request.example, instance, strength, seed)

    def _budget(self, settings: AttackSettings) -> AttackBudget:
        fraction = check_strength(settings.max_unit_fraction)
        if fraction == 0.0:
            raise InputError("the unit budget must be above 0")
        queries = _whole(settings.max_queries, "max queries", 1, self.limits.max_queries)
        beam = _whole(settings.beam_width, "beam width", 1, 8)
        candidates = _whole(settings.candidates_per_unit, "candidates per unit", 1, 16)
        unknown = [f for f in settings.families if f not in families()]
        if unknown:
            raise InputError(f"unknown perturbation families {unknown}; known: {families()}")
        return AttackBudget(
            max_unit_fraction=fraction,
            max_queries=queries,
            beam_width=beam,
            candidates_per_unit=candidates,
        )

    @staticmethod
    def _effective_text(model: LoadedModel, view) -> str:
        if view.n_edits == 0:
            return "no edit"
        return "effective" if effective_for(model.tokenizer, view) else "erased by the tokenizer"

    @staticmethod
    def _segments(view) -> list[Segment]:
        return example_segments(view.clean, {k: p.edits for k, p in view.fields.items()})

    @staticmethod
    def _message(request: DemoInput, view) -> str:
        lines = [f"ℹ️ {n}" for n in request.notes]
        if not view.supported:
            lines.append(
                f"⚠️ {view.family} has nothing for language '{request.language}' (no layout, "
                "lexicon or alphabet): the input is unchanged; pick another family or language"
            )
        elif view.n_edits == 0:
            lines.append(f"⚠️ {view.family} found nothing to edit at this strength")
        else:
            units = sum(p.n_edited for p in view.fields.values())
            total = sum(p.n_units for p in view.fields.values())
            lines.append(
                f"{view.family}: {view.n_edits} edit(s), {units} of {total} units, language "
                f"'{request.language}'"
            )
        return "\n\n".join(lines)


def _whole(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return value
