"""The requests the demo serves: perturb, compare, attack, tag, headline. No widgets here.

Every prediction goes through `xstilts.modeling.predict.predict`, the path evaluation and the
attack use; a tagging task's through `xstilts.evaluate.tagging.TagPredictor`, its evaluation's.
Models are loaded once (`catalogue.load_catalogue`) and shared by all requests. Each checkpoint
has one lock, and every use of its model *or its tokenizer* holds it: the prediction, the
"does the tokenizer see it" check, and the perturbation families built with that tokenizer
(homoglyph and invisible ask it what it erases). A fast tokenizer rewrites its shared truncation
setting on every call, so one unlocked `encode` can let another request's batch through
untruncated. Different checkpoints still run side by side.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from xstilts.attack import AttackBudget, Attacker
from xstilts.demo.catalogue import Catalogue, LoadedModel
from xstilts.demo.family_cache import FamilyCache
from xstilts.demo.headline import headline_table
from xstilts.demo.inputs import (
    DemoInput,
    InputError,
    Limits,
    check_model_names,
    check_seed,
    check_strength,
    check_task_name,
    make_input,
    make_span_input,
    make_tagged_input,
    shown,
)
from xstilts.demo.perturbview import (
    diff_edits,
    effective_for,
    field_label,
    perturb_example,
    text_fields,
    visible,
)
from xstilts.demo.qaview import QAResult, answer_with
from xstilts.demo.render import FieldDiff, field_diffs
from xstilts.demo.retrieval import RetrievalDemo
from xstilts.demo.tagview import TagResult, perturb_sentence, tag_with
from xstilts.examples import ChoiceExample, Example, SpanExample, TaggedExample
from xstilts.modeling.predict import predict
from xstilts.perturb import Edit, Perturbation, families, rng_for
from xstilts.perturb.effective import token_ids
from xstilts.tasks import get_task

Progress = Callable[[float, str], None]
View = tuple[str | None, list[FieldDiff]]  # (whose view, for an attack; the fields' diffs)
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
    "families used",
    "edits (clean → adversarial)",
]
CHANGED, SAME = "⚠ changed", "= same"
UNKNOWN_SHARE = 0.5  # of the input's tokens: above it, the note that the model cannot read it


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
    """What one request returns: a table, the clean-vs-perturbed view of the input (one per
    model for an attack, titled with the model), and a message for the user."""

    header: list[str]
    rows: list[list[str]]
    views: list[View] = field(default_factory=list)
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
        conditions: dict[str, tuple[str, ...]] | None = None,
        report: Path | None = None,
        retrieval: RetrievalDemo | str | None = None,
    ) -> None:
        self.catalogue = catalogue
        # the Retrieval tab's encoders, or the line saying why there are none
        self.retrieval = retrieval
        self.metrics_dir = Path(metrics_dir) if metrics_dir else None
        self.families = FamilyCache(lexicon_dir)
        self.limits = limits or Limits()
        self.max_length = max_length
        self.runs = runs
        self.attack_presets = dict(attack_presets or {})  # the run's attacks (params.yaml)
        self.conditions = dict(conditions or {})  # condition -> intermediate tasks (params.yaml)
        self.report = report  # the run's REPORT.md

    # --- what the UI offers -----------------------------------------------------------------

    def tasks(self) -> list[str]:
        return self.catalogue.tasks()

    def tagging_tasks(self) -> list[str]:
        """The loaded tasks whose models tag words (the Tagging tab's)."""
        return [t for t in self.tasks() if get_task(t).kind == "tagging"]

    def qa_tasks(self) -> list[str]:
        """The loaded tasks whose models answer questions (the Question answering tab's)."""
        return [t for t in self.tasks() if get_task(t).kind == "span"]

    def model_choices(self, task: str) -> list[tuple[str, str]]:
        """(label, key) of every model that serves `task`."""
        return [(m.label, m.key) for m in self.catalogue.for_task(task)]

    @staticmethod
    def family_names() -> list[str]:
        return families()

    def family_instances(self) -> list[Perturbation]:
        return list(self.families_for(None).values())

    def condition_table(self) -> dict[str, tuple[str, ...]]:
        """condition -> intermediate tasks: the run's (params.yaml), else what the loaded
        checkpoints' metadata says."""
        if self.conditions:
            return self.conditions
        found = {
            m.condition: tuple(m.meta.get("intermediate_tasks") or ())
            for m in self.catalogue.models.values()
        }
        return dict(sorted(found.items()))

    # --- checks -----------------------------------------------------------------------------

    def check_models(self, task: str, keys: object) -> list[LoadedModel]:
        keys = check_model_names(keys, self.limits.max_models)
        served = {m.key: m for m in self.catalogue.for_task(task)}
        unknown = [k for k in keys if k not in served]
        if unknown:
            raise InputError(
                f"model(s) {', '.join(map(shown, unknown[:3]))} do not serve {task}; "
                f"available: {', '.join(served)}"
            )
        return [served[k] for k in keys]

    def check_task(self, task: object) -> str:
        if task not in self.tasks():
            raise InputError(
                f"task {shown(task)} has no loaded model; available: {', '.join(self.tasks())}"
            )
        return str(task)

    def check_family(self, name: object) -> str:
        if name not in families():
            raise InputError(
                f"unknown perturbation family {shown(name)}; known: {', '.join(families())}"
            )
        return str(name)

    def families_for(self, model: LoadedModel | None) -> dict[str, Perturbation]:
        """Every family, built once per checkpoint with its tokenizer, or once with the static
        check for `None` (`FamilyCache`). The caller holds the checkpoint's lock while it builds
        or uses them: they call its tokenizer."""
        if model is None:
            return self.families.get("", None)
        return self.families.get(str(model.path), model.tokenizer)

    @staticmethod
    def _view_owner(models: list[LoadedModel]) -> LoadedModel | None:
        """Whose tokenizer builds the one perturbation every model sees: the first model's when
        they share a tokenizer, else none (the static check)."""
        return models[0] if len({m.tokenizer_id for m in models}) == 1 else None

    def _length(self, model: LoadedModel) -> int:
        positions = model.model.encoder.config.max_position_embeddings - 2  # XLM-R's offset
        return max(8, min(self.max_length, positions))

    # --- requests ---------------------------------------------------------------------------

    def parse(self, task: object, fields: dict[str, object], language: object) -> DemoInput:
        return make_input(self.check_task(task), fields, language, self.limits)

    def parse_sentence(self, task: object, sentence: object, language: object) -> DemoInput:
        """A sentence for a tagging task, split into words at whitespace."""
        task = self.check_task(task)
        if task not in self.tagging_tasks():
            loaded = ", ".join(self.tagging_tasks()) or "none is loaded"
            raise InputError(f"task {task} is not a tagging task; tagging tasks: {loaded}")
        return make_tagged_input(task, sentence, language, self.limits)

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
        rows = []
        for model in models:
            with model.lock:
                rows.append([model.label, self._effective_text(model, view)])
        message = self._message(request, view, self._unknown_note(models, request.example))
        return Result(EFFECTIVE_HEADER, rows, self._views(view), message)

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
                effective = self._effective_text(model, view)
            names = class_names(model, view.clean)
            changed = int(np.argmax(probs[0])) != int(np.argmax(probs[1]))
            rows.append(
                [
                    model.label,
                    _top(names, probs[0]),
                    _top(names, probs[1]),
                    CHANGED if changed else SAME,
                    effective,
                    _probs_text(names, probs[0]),
                    _probs_text(names, probs[1]),
                ]
            )
        flips = sum(r[3] == CHANGED for r in rows)
        message = self._message(request, view, self._unknown_note(models, request.example))
        message += f"\n\nPrediction changed for {flips} of {len(rows)} model(s)."
        return Result(PREDICTION_HEADER, rows, self._views(view), message.strip())

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
        views: list[View] = []
        for index, model in enumerate(models):
            with model.lock:
                available = self.families_for(model)
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
                    _family_counts(result.families),
                    _edit_list(request.example, edits),
                ]
            )
            views.append((model.label, field_diffs(request.example, edits)))
        flipped = sum(r[3].startswith("✔") for r in rows)
        message = "\n\n".join(f"ℹ️ {n}" for n in request.notes)
        message += (
            f"\n\nAttack flipped {flipped} of {len(rows)} model(s) ({request.language_text}, "
            f"at most {budget.max_queries} queries and "
            f"{budget.max_unit_fraction:.0%} of the units each)."
        )
        return Result(ATTACK_HEADER, rows, views, message.strip())

    def tag(
        self,
        request: DemoInput,
        model_keys: object,
        family: object,
        strength: object,
        seed: object,
    ) -> TagResult:
        """Each model's tag for every word, on the clean and the perturbed sentence; the
        perturbation is the evaluation's for tagged sentences (`tagview`)."""
        if not isinstance(request.example, TaggedExample):
            raise InputError(f"{request.task} is not a tagging task: parse a sentence for one")
        models = self.check_models(request.task, model_keys)
        name = self.check_family(family)
        strength, seed = check_strength(strength), check_seed(seed)
        names = get_task(request.task).labels
        owner = self._view_owner(models)
        with owner.lock if owner is not None else nullcontext():
            instance = self.families_for(owner)[name]
            sentence = perturb_sentence(request.example, instance, strength, seed, names)
        tagged = []
        for model in models:
            with model.lock:
                effective = self._effective_text(model, sentence.view)
                tagged.append(tag_with(model, sentence, self._length(model), effective))
        message = self._message(request, sentence.view, self._unknown_note(models, request.example))
        changed = ", ".join(f"{m.label}: {sum(m.changed)}" for m in tagged)
        total = len(sentence.perturbed.words)
        message += f"\n\nPerturbed words whose tag changed (of {total}): {changed}."
        return TagResult(request.task, request.language, names, sentence, tagged, message)

    def parse_question(
        self, task: object, context: object, question: object, language: object
    ) -> DemoInput:
        """A context and a question for a question-answering task."""
        task = self.check_task(task)
        if task not in self.qa_tasks():
            loaded = ", ".join(self.qa_tasks()) or "none is loaded"
            raise InputError(f"task {task} is not a question-answering task; QA tasks: {loaded}")
        return make_span_input(task, context, question, language, self.limits)

    def answer(
        self,
        request: DemoInput,
        model_keys: object,
        family: object,
        strength: object,
        seed: object,
    ) -> QAResult:
        """Each model's answer on the clean and the perturbed question and context (`qaview`)."""
        if not isinstance(request.example, SpanExample):
            raise InputError(f"{request.task} is not a QA task: parse a question for one")
        models = self.check_models(request.task, model_keys)
        view = self._perturb(request, models, family, strength, seed)
        answers = []
        for model in models:
            with model.lock:
                effective = self._effective_text(model, view)
                answers.append(answer_with(model, view, self._length(model), effective))
        message = self._message(request, view, self._unknown_note(models, request.example))
        changed = sum(m.changed for m in answers)
        message += f"\n\nAnswer changed for {changed} of {len(answers)} model(s)."
        return QAResult(request.task, request.language, view, answers, message.strip())

    def headline(self, task: object) -> Result:
        """The run's numbers for `task`, read only from `<metrics>/evaluate/<condition>/<task>/`:
        the task must be a loaded target task, so no request names another file."""
        task = self.check_task(check_task_name(task))
        if self.metrics_dir is None:
            return Result(["metric"], [], message="No metrics directory given (--metrics DIR).")
        header, rows, note = headline_table(self.metrics_dir, task, *self.runs)
        return Result(header, rows, message=note)

    # --- helpers ----------------------------------------------------------------------------

    def _perturb(self, request, models, family, strength, seed):
        name = self.check_family(family)
        strength, seed = check_strength(strength), check_seed(seed)
        owner = self._view_owner(models)
        with owner.lock if owner is not None else nullcontext():
            instance = self.families_for(owner)[name]
            return perturb_example(request.example, instance, strength, seed)

    def _budget(self, settings: AttackSettings) -> AttackBudget:
        fraction = check_strength(settings.max_unit_fraction, "max unit fraction")
        if fraction == 0.0:
            raise InputError("the unit budget must be above 0")
        queries = _whole(settings.max_queries, "max queries", 1, self.limits.max_queries)
        beam = _whole(settings.beam_width, "beam width", 1, 8)
        candidates = _whole(settings.candidates_per_unit, "candidates per unit", 1, 16)
        chosen = settings.families
        if not isinstance(chosen, list | tuple) or not all(isinstance(f, str) for f in chosen):
            raise InputError(f"families must be a list of family names, got {shown(chosen)}")
        unknown = [shown(f) for f in chosen if f not in families()]
        if unknown:
            raise InputError(
                f"unknown perturbation families {', '.join(unknown[:3])}; "
                f"known: {', '.join(families())}"
            )
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
    def _views(view) -> list[View]:
        return [(None, field_diffs(view.clean, {k: p.edits for k, p in view.fields.items()}))]

    @staticmethod
    def _unknown_note(models: list[LoadedModel], example: Example) -> list[str]:
        """A note when the models' tokenizer reads most of the input as unknown tokens: their
        predictions then say nothing about the text, and no perturbation of it can be seen."""
        notes = []
        for model in {m.tokenizer_id: m for m in models}.values():
            unk = model.tokenizer.unk_token_id
            with model.lock:
                ids = [i for _, t in text_fields(example) for i in token_ids(model.tokenizer, t)]
            share = sum(i == unk for i in ids) / len(ids) if ids and unk is not None else 0.0
            if share >= UNKNOWN_SHARE:
                seen = model.meta.get("base", {}).get("languages")
                known = f" (their pretraining saw {', '.join(seen)})" if seen else ""
                notes.append(
                    f"{share:.0%} of the input's tokens are unknown to the tokenizer of "
                    f"{model.label}{known}: the model cannot read this script, so its "
                    "prediction is a guess and perturbations of those letters are erased"
                )
        return notes

    @staticmethod
    def _message(request: DemoInput, view, warnings: list[str] | None = None) -> str:
        lines = [f"ℹ️ {n}" for n in request.notes] + [f"⚠️ {w}" for w in warnings or ()]
        if not view.supported:
            lines.append(
                f"⚠️ {view.family} has nothing for {request.language_text} (no layout, "
                "lexicon or alphabet): the input is unchanged; pick another family or language"
            )
        elif view.n_edits == 0:
            lines.append(f"⚠️ {view.family} found nothing to edit at this strength")
        else:
            units = sum(p.n_edited for p in view.fields.values())
            total = sum(p.n_units for p in view.fields.values())
            lines.append(
                f"{view.family}: {view.n_edits} edit(s), {units} of {total} units, "
                f"{request.language_text}"
            )
        return "\n\n".join(lines)


def _family_counts(names: tuple[str, ...]) -> str:
    """'char_swap ×2 · homoglyph': which families made the attack's edits, and how often."""
    counts = Counter(names)
    return " · ".join(f"{n} ×{c}" if c > 1 else n for n, c in counts.items()) or "none"


def _edit_list(example: Example, edits: dict[str, tuple[Edit, ...]]) -> str:
    """Each edit as `Field: 'old' → 'new'`, so a reader sees what flipped the model."""
    parts = []
    for key, text in text_fields(example):
        for edit in edits.get(key, ()):
            old, new = visible(text[edit.start : edit.end]), visible(edit.replacement)
            parts.append(f"{field_label(key)}: '{old}' → '{new}'")
    return "; ".join(parts) or "no edit"


def _whole(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{name} must be a whole number from {low} to {high}, got {shown(value)}")
    return value
